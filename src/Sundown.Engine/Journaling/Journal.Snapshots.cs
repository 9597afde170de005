using Sundown.Core.Policy;

namespace Sundown.Engine.Journaling;

public sealed partial class Journal
{
    /// <summary>How many recent snapshot steps the snapshot estimate is judged on.</summary>
    private const int RecentSnapshots = 20;

    /// <summary>The most a snapshot step is ever given, however long past ones took.</summary>
    public static readonly TimeSpan MaxSnapshotEstimate = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a snapshot step (the snapshot and the pruning after it, which is given no longer
    /// than the snapshot took, at least a second) is given: twice the longest of the last 20 that
    /// made their snapshot or ran out of time (such a one took at least that long), never less than a
    /// second (a step that took 0.1 s on an idle host may take several times that at shutdown)
    /// and never more than <see cref="MaxSnapshotEstimate"/>. Null with no such step: the
    /// planner's default then.
    /// </summary>
    public TimeSpan? SnapshotEstimate() => Read<TimeSpan?>(transaction =>
    {
        var command = Command(transaction, """
            SELECT started_at, ended_at FROM step
            WHERE action = $snapshot AND result IN ($ok, $timeout) AND ended_at IS NOT NULL
            ORDER BY id DESC LIMIT $limit
            """,
            ("$snapshot", StepKind.Snapshot.ToName()), ("$ok", StepResult.Ok.ToWord()), ("$timeout", StepResult.Timeout.ToWord()), ("$limit", RecentSnapshots));
        var longest = LongestStep(command);
        return longest is { } l ? TimeSpan.FromSeconds(Math.Clamp(Math.Round(2 * l.TotalSeconds, 1), 1, MaxSnapshotEstimate.TotalSeconds)) : null;
    });
}
