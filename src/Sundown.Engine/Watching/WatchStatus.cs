using Sundown.Core.Ups;

namespace Sundown.Engine.Watching;

/// <summary>What <c>sundown watch</c> last saw and did, as <c>watch --status</c> shows it.</summary>
/// <param name="Pid">The watch process, to tell a state file left by a killed watch.</param>
/// <param name="Ups">The UPS followed, NAME@HOST:PORT; "none" without [ups].</param>
/// <param name="UpsStatus">The last <c>ups.status</c> read; null before the first answer.</param>
/// <param name="UpsError">Why the UPS could not be read at the last try; null when it answered.</param>
/// <param name="WorstCase">The plan's worst case as last made; null when none is known.</param>
/// <param name="TriggerRuntime">The battery.runtime at which the guests' stop begins; null when on line or unknown.</param>
public sealed record WatchStatus(
    int Pid,
    string Ups,
    WatchPhase Phase,
    string? UpsStatus,
    TimeSpan? Runtime,
    string? UpsError,
    TimeSpan? WorstCase,
    TimeSpan? TriggerRuntime,
    WatchEvent? LastEvent,
    DateTimeOffset? LastEventAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>What watch knows of logind: following it, why not, or null when it does not follow it.</summary>
    public string? Logind { get; init; }

    /// <summary>On a rack's secondary: its login on the UPS ("held as … since …", or why not); null when it holds none.</summary>
    public string? Login { get; init; }

    /// <summary>When logind announced the host's shutdown (and watch began the guests' stop); null when it has not.</summary>
    public DateTimeOffset? ShutdownAnnouncedAt { get; init; }
}
