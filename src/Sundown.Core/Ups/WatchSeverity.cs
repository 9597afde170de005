namespace Sundown.Core.Ups;

/// <summary>How loud a watch event is: syslog's levels, which the CLI writes as the journal's priority.</summary>
public enum WatchSeverity
{
    /// <summary>The guests are being stopped because the battery is running out.</summary>
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
}
