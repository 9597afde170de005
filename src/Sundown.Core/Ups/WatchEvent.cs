namespace Sundown.Core.Ups;

/// <summary>Something <c>sundown watch</c> saw or did, for its log and its status file.</summary>
public sealed record WatchEvent(WatchSeverity Severity, string Message);
