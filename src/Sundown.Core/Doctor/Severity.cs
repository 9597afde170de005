namespace Sundown.Core.Doctor;

/// <summary>How much a finding matters; the worst one decides <c>sundown doctor</c>'s exit status.</summary>
public enum Severity
{
    /// <summary>Worth knowing; nothing needs fixing.</summary>
    Info,

    /// <summary>Something may go wrong at shutdown.</summary>
    Warning,

    /// <summary>Something will go wrong at shutdown.</summary>
    Error,
}
