using Sundown.Core.Planning;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

/// <summary>A finished (or interrupted) stop: its journaled report, the plan it followed, and its exit status.</summary>
/// <param name="Continued">True when it completed a run that an earlier, killed sundown had begun.</param>
public sealed record StopResult(RunReport Report, Plan Plan, int ExitCode, bool Continued)
{
    /// <summary>
    /// True when this stop began no run of its own: at shutdown, every guest was off after a
    /// finished stop of this boot, whose report this is (<see cref="StopRun"/>'s join).
    /// </summary>
    public bool Joined { get; init; }
}
