using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

internal sealed partial class GuestStopper
{
    /// <summary>
    /// The snapshot before the first stop step (policy key <c>snapshots</c>): a disk-only,
    /// atomic, external snapshot, quiesced through the guest agent when the guest has a channel
    /// for one, then Sundown's older snapshots beyond the newest N deleted while the step's time
    /// lasts. Held to its step's end (<see cref="Planning.Planner.Schedule"/>: its estimate, and
    /// never into the time of the steps after it); whatever fails, the stop goes on with the next step.
    /// </summary>
    /// <remarks>
    /// A snapshot still running at its end is given up on, not aborted: libvirt has no way to
    /// abort one, and an atomic snapshot that ends later either made every overlay or none. The
    /// next step then waits for libvirt like any other call, held to its own end.
    /// </remarks>
    private Task<StepVerdict> SnapshotAsync(int index) => InStepAsync(StepKind.Snapshot, async () =>
    {
        var begun = Elapsed;
        TimeSpan? End() => EndOf(Step(index), begun);
        string name = SnapshotRule.NameFor(runStart, executor.RunNumber);
        // Only a running guest's agent can freeze its filesystems (a paused one: "domain is not running").
        bool quiesce = Guest.HasAgentChannel && Guest.State == GuestState.Running;

        var made = HostCall.Run(() => host.CreateDiskSnapshot(Guest.Uuid, name, SnapshotRule.DescriptionFor(executor.RunNumber, quiesce), quiesce));
        if (!await WaitAsync(made, End, CancellationToken.None))
        {
            return new StepVerdict.Next(StepResult.Timeout, "the snapshot did not finish in its time; given up on (ignoring), the stop goes on");
        }

        string? crashConsistent = null;
        if (quiesce && made.Exception?.InnerException is HostException quiesceFailed && IsAgentFault(quiesceFailed))
        {
            // A thaw that failed after the overlays were made fails the call too ("unable to thaw
            // filesystems"): the snapshot is there, and a second try under its name would only
            // fail "already exists".
            var there = HostCall.Run(() => host.ListSnapshots(Guest.Uuid).Any(s => s.Name == name));
            if (!await WaitAsync(there, End, CancellationToken.None))
            {
                return new StepVerdict.Next(StepResult.Timeout, $"a quiesced snapshot failed ({quiesceFailed.Message}) and looking for it did not finish in its time, continuing");
            }

            if (there.Exception is null && there.Result)
            {
                return new StepVerdict.Next(StepResult.Ok, $"{name} (quiesced through the guest agent; then {quiesceFailed.Message}); {await PruneAsync(PruneEnd(End(), begun))}");
            }

            // Only when a second try still fits: the estimate from the journal, counted from now.
            if (End() is { } end && end - Elapsed < Step(index).Wait / 2)
            {
                return new StepVerdict.Next(StepResult.Skipped, $"a quiesced snapshot failed ({quiesceFailed.Message}) and no time is left to try a crash-consistent one, continuing");
            }

            crashConsistent = $"crash-consistent: the guest agent did not quiesce ({quiesceFailed.Message})";
            made = HostCall.Run(() => host.CreateDiskSnapshot(Guest.Uuid, name, SnapshotRule.DescriptionFor(executor.RunNumber, quiesced: false), quiesce: false));
            if (!await WaitAsync(made, End, CancellationToken.None))
            {
                return new StepVerdict.Next(StepResult.Timeout, $"{crashConsistent}; the unquiesced snapshot did not finish in its time either, continuing");
            }
        }

        if (made.Exception?.InnerException is { } failed)
        {
            return new StepVerdict.Next(StepResult.Error, $"no snapshot: {failed.Message}; continuing with the stop");
        }

        if (made.Result == SnapshotMade.NoDisk)
        {
            return new StepVerdict.Next(StepResult.Skipped, "no writable file-backed disk: nothing to snapshot");
        }

        string done = $"{name} ({crashConsistent ?? (quiesce ? "quiesced through the guest agent" : "crash-consistent: no guest agent channel")})";
        return new StepVerdict.Next(StepResult.Ok, $"{done}; {await PruneAsync(PruneEnd(End(), begun))}");
    });

    /// <summary>The least time the pruning is given, however quick the snapshot was.</summary>
    private static readonly TimeSpan s_pruneAtLeast = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pruning's end: the step's, and no later than as long again as the snapshot took (at
    /// least <see cref="s_pruneAtLeast"/>). The step's journaled time, which the next estimate
    /// is twice of, then follows the snapshot call, and a prune cut off at the step's end
    /// cannot double the estimate at every stop.
    /// </summary>
    private Func<TimeSpan?> PruneEnd(TimeSpan? stepEnd, TimeSpan begun)
    {
        var made = Elapsed;
        var own = made + TimeSpan.FromTicks(Math.Max((made - begun).Ticks, s_pruneAtLeast.Ticks));
        return () => stepEnd is { } end && end < own ? end : own;
    }

    /// <summary>
    /// Deletes Sundown's snapshots beyond the newest N, oldest first, each held to the step's end;
    /// what is left when the time is up is deleted at the next stop (the guest runs then, and
    /// libvirt merges a running guest's overlay in a fraction of a second).
    /// </summary>
    private async Task<string> PruneAsync(Func<TimeSpan?> end)
    {
        var list = HostCall.Run(() => host.ListSnapshots(Guest.Uuid));
        if (!await WaitAsync(list, end, CancellationToken.None))
        {
            return "no time left to list the snapshots: older ones are pruned at the next stop";
        }

        if (list.Exception?.InnerException is { } failed)
        {
            return $"listing the snapshots failed ({failed.Message}), ignoring: older ones are pruned at the next stop";
        }

        var prune = SnapshotRule.ToPrune(list.Result, planned.Policy.Snapshots);
        if (prune.Count == 0)
        {
            return $"kept the newest {planned.Policy.Snapshots}, none to delete";
        }

        var deleted = new List<string>();
        foreach (var old in prune)
        {
            var delete = HostCall.Run(() => host.DeleteSnapshot(Guest.Uuid, old.Name));
            if (!await WaitAsync(delete, end, CancellationToken.None))
            {
                return $"deleted {Names(deleted)}; the time was up while deleting {old.Name}: {prune.Count - deleted.Count} left for the next stop";
            }

            if (delete.Exception?.InnerException is { } error)
            {
                return $"deleted {Names(deleted)}; deleting {old.Name} failed ({error.Message}), ignoring: {prune.Count - deleted.Count} left for the next stop";
            }

            deleted.Add(old.Name);
        }

        return $"kept the newest {planned.Policy.Snapshots}, deleted {Names(deleted)}";
    }

    private static string Names(List<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    /// <summary>
    /// The quiesce failed because of the agent ("Guest agent is not responding", "QEMU guest
    /// agent is not configured"): the one failure that a snapshot without a quiesce may not
    /// share. libvirt gives it several codes (AGENT_UNRESPONSIVE, ARGUMENT_UNSUPPORTED, …), so the
    /// message decides.
    /// </summary>
    private static bool IsAgentFault(HostException e) =>
        e.Message.Contains("agent", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("quiesce", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("freeze", StringComparison.OrdinalIgnoreCase);
}
