using Sundown.Core.Config;
using Sundown.Core.Ups;

namespace Sundown.Engine.Watching;

/// <summary>What <c>sundown watch</c> follows and where it keeps what it sees.</summary>
/// <param name="Ups">The config's <c>[ups]</c>: margin and on_power_return; null without one (watch then follows logind alone).</param>
/// <param name="StatusFile">Where the state is written for <c>watch --status</c>; null for nowhere.</param>
public sealed record WatchRequest(SundownConfig Config, UpsConfig? Ups, IReadOnlyList<string> Uris, string StateDirectory, string? StatusFile)
{
    /// <summary>
    /// logind's word on the host's shutdown: its <c>PrepareForShutdown(true)</c> begins the guests'
    /// stop at once; null when nobody follows the bus.
    /// </summary>
    public ShutdownAnnouncements? Shutdowns { get; init; }

    /// <summary>
    /// Reads the config again when a shutdown is announced, as sundown.service's stop would read it
    /// then (an edit since watch started counts; a broken one falls back to its last good copy);
    /// null: <see cref="Config"/> as it is.
    /// </summary>
    public Func<SundownConfig>? LoadConfig { get; init; }

    /// <summary>
    /// On a secondary of a rack: what its login on the UPS is now ("held as … since …", or why
    /// not), for the status; null when watch holds none.
    /// </summary>
    public Func<string>? LoginState { get; init; }

    /// <summary>
    /// On the primary with <c>fsd = true</c>: sets FSD at upsd, held to the reader's timeout; null
    /// when watch may not. It throws <see cref="UpsException"/> when upsd refuses or does not answer.
    /// </summary>
    public Func<CancellationToken, Task>? SetForcedShutdown { get; init; }

    /// <summary>How often the UPS is read.</summary>
    public TimeSpan PollInterval { get; init; } = WatchTrigger.PollInterval;

    /// <summary>How often the plan's worst case is made again while the UPS stays on battery (guests start, stop, change).</summary>
    public TimeSpan WorstCaseEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long opening and listing the hosts for the worst case may take, together: the trigger waits on it.</summary>
    public TimeSpan HostTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an unreadable UPS is said again at priority err.</summary>
    public TimeSpan UnreadableRepeat { get; init; } = TimeSpan.FromMinutes(1);
}
