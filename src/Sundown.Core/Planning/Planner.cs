using System.Collections.Immutable;
using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Planning;

/// <summary>
/// Turns guests and their policies into a <see cref="Plan"/>. Pure: no I/O, no clock; all
/// times are offsets from the start of the stop.
/// </summary>
/// <remarks>
/// Tiers are stopped highest order first, each only after the one before it is done. With a
/// budget the planner works backwards: each tier's deadline leaves room for the tiers after
/// it, and inside a tier the graceful steps (agent, acpi) end early enough for the save and
/// the destroy that may follow. When the budget is shorter than the ladders ask for, the
/// graceful timeouts shrink in proportion; saves that cannot fit at all are dropped; a
/// destroy always fits, so nothing is left running at the deadline.
/// </remarks>
public static class Planner
{
    public static Plan Build(IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, TimeSpan? budget, Limits limits, Estimates estimates)
    {
        var alreadyOff = guests.Where(g => !g.Guest.State.IsActive()).Select(g => g.Guest).ToImmutableArray();
        var tiers = guests
            .Where(g => g.Guest.State.IsActive())
            .Select(g => Prepare(g.Guest, g.Policy, estimates))
            .GroupBy(p => p.Policy.Order)
            .OrderByDescending(group => group.Key)
            .Select(group => new TierNeeds(group.Key, [.. group.OrderBy(p => p.Guest.Name, StringComparer.Ordinal)], limits))
            .ToList();

        var (scale, dropSaves, dropSnapshots) = FitToBudget(tiers, budget);
        // What the tiers after each one need, summed from the last tier back: one pass, not a
        // sum over the later tiers for every tier.
        var needAfter = new TimeSpan[tiers.Count];
        for (int i = tiers.Count - 2; i >= 0; i--)
        {
            needAfter[i] = needAfter[i + 1] + tiers[i + 1].Need(scale, dropSaves, dropSnapshots);
        }

        var planned = ImmutableArray.CreateBuilder<PlanTier>(tiers.Count);
        var clock = TimeSpan.Zero;
        for (int i = 0; i < tiers.Count; i++)
        {
            var tier = tiers[i];
            // Clamped to the tier's start: with a budget too short for even the destroys'
            // allowances, every tier's deadline is "now" and everything is destroyed at once.
            TimeSpan? deadline = budget is { } b ? Max(b - needAfter[i], clock) : null;
            var saveReserve = dropSaves ? TimeSpan.Zero : tier.SaveNeed;
            var guestsOfTier = tier.Guests.Select(p => p.Finish(clock, deadline, saveReserve, scale, dropSaves, dropSnapshots)).ToImmutableArray();
            var end = guestsOfTier.Max(g => g.WorstCaseEnd);
            if (deadline is { } d && end > d)
            {
                end = d;
            }

            planned.Add(new PlanTier(tier.Order, deadline, saveReserve, clock, end, guestsOfTier));
            clock = end;
        }

        return new Plan(budget, planned.ToImmutable(), alreadyOff);
    }

    /// <summary>
    /// The steps of one guest with the times they are held to, once its tier really starts
    /// (what the times mean: <see cref="ScheduledStep"/>). A tier that starts early (the tiers
    /// before it finished quickly) gives its guests back the full timeouts the plan may have shrunk.
    /// </summary>
    public static ImmutableArray<ScheduledStep> Schedule(PlannedGuest guest, PlanTier tier, TimeSpan tierStart)
    {
        var graceful = guest.Steps.Where(s => s.Kind.IsGraceful()).ToList();
        bool saves = guest.Steps.Any(s => s.Kind == StepKind.Save);
        TimeSpan? latestOff = tier.Deadline - Estimates.DestroyAllowance;
        TimeSpan? gracefulEnd = latestOff - (saves ? tier.SaveReserve : TimeSpan.Zero);
        // The snapshot comes first and takes its time out of the graceful steps' room, which
        // the planner counted it in (TierNeeds.SnapshotNeed).
        var snapshotNeed = guest.Steps.FirstOrDefault(s => s.Kind == StepKind.Snapshot)?.Requested ?? TimeSpan.Zero;
        double scale = 1;
        if (gracefulEnd is { } ge)
        {
            var requested = graceful.Sum(s => s.Requested);
            var available = ge - tierStart - snapshotNeed;
            scale = requested <= TimeSpan.Zero ? 1 : Math.Clamp(available / requested, 0, 1);
        }

        // The snapshot ends early enough for the steps after it to keep their (scaled) times:
        // the graceful steps', or a save's start, or the destroy's. It is skipped when its
        // estimate no longer fits before that.
        TimeSpan? snapshotEnd = graceful.Count > 0 ? gracefulEnd - (graceful.Sum(s => s.Requested) * scale)
            : saves ? latestOff - guest.Steps.First(s => s.Kind == StepKind.Save).Requested
            : latestOff;

        var steps = ImmutableArray.CreateBuilder<ScheduledStep>();
        foreach (var step in guest.Steps)
        {
            steps.Add(step.Kind switch
            {
                StepKind.Agent or StepKind.Acpi => new ScheduledStep(step.Kind, step.Requested * scale, gracefulEnd, gracefulEnd),
                StepKind.Save => new ScheduledStep(StepKind.Save, step.Requested, latestOff - step.Requested, latestOff),
                StepKind.Destroy => new ScheduledStep(StepKind.Destroy, Estimates.DestroyAllowance + Estimates.DestroyGrace, null, tier.Deadline + Estimates.DestroyGrace),
                StepKind.Snapshot => new ScheduledStep(StepKind.Snapshot, step.Requested, snapshotEnd - step.Requested, snapshotEnd),
                _ => new ScheduledStep(step.Kind, Estimates.CallWait, gracefulEnd, gracefulEnd),
            });
        }

        return steps.ToImmutable();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Sum<T>(this IEnumerable<T> items, Func<T, TimeSpan> selector) =>
        items.Aggregate(TimeSpan.Zero, (total, item) => total + selector(item));

    /// <summary>
    /// How much of their graceful time the ladders keep (1 = all of it), and whether saves
    /// must go, for every tier to fit the budget.
    /// </summary>
    /// <remarks>Snapshots go first (before any graceful time is lost to them, and before the saves): they are a convenience, the stop is not.</remarks>
    private static (double Scale, bool DropSaves, bool DropSnapshots) FitToBudget(IReadOnlyList<TierNeeds> tiers, TimeSpan? budget)
    {
        if (budget is not { } b || tiers.Sum(t => t.Need(1, false, false)) <= b)
        {
            return (1, false, false);
        }

        bool anySnapshot = tiers.Any(t => t.SnapshotNeed > TimeSpan.Zero);
        if (anySnapshot && tiers.Sum(t => t.Need(1, false, true)) <= b)
        {
            return (1, false, true);
        }

        var graceful = tiers.Sum(t => t.GracefulNeed);
        foreach (bool dropSaves in new[] { false, true })
        {
            var fixedNeed = tiers.Sum(t => t.Need(0, dropSaves, true));
            if (fixedNeed <= b)
            {
                // Never more than 1: with the saves dropped, the room left may be more than
                // the ladders ask for, and a timeout is never grown past what was asked.
                return (graceful <= TimeSpan.Zero ? 1 : Math.Min((b - fixedNeed) / graceful, 1), dropSaves, true);
            }
        }

        // Not even the destroys' allowances fit: every guest goes straight to destroy.
        return (0, true, true);
    }

    private static PreparedGuest Prepare(Guest guest, GuestPolicy policy, Estimates estimates)
    {
        var notes = new List<string>();
        var ladder = policy.Stop.Steps.ToList();

        if (!guest.Persistent && ladder.RemoveAll(s => s.Kind == StepKind.Save) > 0)
        {
            notes.Add("transient: it cannot be saved, so its save step is skipped");
        }

        switch (guest.State)
        {
            case GuestState.Paused when ladder.Any(s => s.Kind == StepKind.Save):
                ladder.RemoveAll(s => s.Kind.IsGraceful());
                notes.Add("paused: saved as it is (a paused guest cannot hear the power button)");
                break;
            case GuestState.Paused:
                ladder.Insert(0, new LadderStep(StepKind.Resume, null));
                notes.Add("paused: resumed first, so that it can hear the power button");
                break;
            case GuestState.PmSuspended:
                ladder.Insert(0, new LadderStep(StepKind.Wakeup, null));
                notes.Add("suspended to RAM: woken first");
                break;
            case GuestState.Crashed:
                ladder.RemoveAll(s => s.Kind != StepKind.Destroy);
                notes.Add("crashed: nothing left to shut down gracefully");
                break;
            case GuestState.Shutdown:
                notes.Add("already shutting down");
                break;
        }

        // Before the first stop step (and before a resume or wakeup: a paused guest's disks are
        // snapshotted as they are): only a guest whose QEMU runs has disks to snapshot live.
        // Not a transient guest: it writes into the overlay, and re-created from its XML it boots
        // from the base image without those writes.
        if (policy.Snapshots > 0 && guest.State is GuestState.Running or GuestState.Paused)
        {
            if (guest.Persistent)
            {
                ladder.Insert(0, new LadderStep(StepKind.Snapshot, null));
            }
            else
            {
                notes.Add("transient: no snapshot (re-created from its XML it would boot from the base image, not the overlay)");
            }
        }

        int save = ladder.FindIndex(s => s.Kind == StepKind.Save);
        if (save > 0 && ladder.Take(save).Any(s => s.Kind.IsGraceful()))
        {
            notes.Add("a save after a shutdown request may capture the guest mid-shutdown; restored, it finishes shutting down (put save first to keep its state)");
        }

        var steps = ladder.Select(s => (s.Kind, Requested: s.Kind switch
        {
            StepKind.Save => estimates.SaveTime(guest.MemoryKiB),
            StepKind.Snapshot => estimates.Snapshot,
            _ => s.Timeout ?? TimeSpan.Zero,
        })).ToImmutableArray();
        return new PreparedGuest(guest, policy, steps, [.. notes]);
    }

    private sealed record PreparedGuest(Guest Guest, GuestPolicy Policy, ImmutableArray<(StepKind Kind, TimeSpan Requested)> Steps, ImmutableArray<string> Notes)
    {
        internal TimeSpan Graceful => Steps.Where(s => s.Kind.IsGraceful()).Sum(s => s.Requested);

        internal TimeSpan? Save => Steps.Any(s => s.Kind == StepKind.Save) ? Steps.First(s => s.Kind == StepKind.Save).Requested : null;

        internal TimeSpan Snapshot => Steps.FirstOrDefault(s => s.Kind == StepKind.Snapshot).Requested;

        /// <summary>The guest's steps laid out from its tier's worst-case start.</summary>
        internal PlannedGuest Finish(TimeSpan tierStart, TimeSpan? deadline, TimeSpan saveReserve, double scale, bool dropSaves, bool dropSnapshots)
        {
            var notes = Notes.ToList();
            bool atRisk = false;
            if (dropSnapshots && Snapshot > TimeSpan.Zero)
            {
                notes.Add("the budget leaves no time for its snapshot: none is made");
            }

            if (dropSaves && Save is not null)
            {
                notes.Add("the budget leaves no time to save it: it is forced off if it does not shut down");
                atRisk = true;
            }

            if (scale < 1 && Graceful > TimeSpan.Zero)
            {
                notes.Add($"the budget shrinks its graceful steps to {scale * 100:0}% of their timeouts");
                atRisk = true;
            }

            TimeSpan? latestOff = deadline - Estimates.DestroyAllowance;
            var steps = ImmutableArray.CreateBuilder<PlannedStep>();
            var clock = tierStart;
            foreach (var (kind, requested) in Steps)
            {
                if ((kind == StepKind.Save && dropSaves) || (kind == StepKind.Snapshot && dropSnapshots))
                {
                    continue;
                }

                var duration = kind.IsGraceful() ? requested * scale : requested;
                if (kind == StepKind.Destroy && latestOff is { } lo && clock > lo)
                {
                    clock = lo;
                }

                steps.Add(new PlannedStep(kind, requested, duration, clock));
                clock += duration;
            }

            if (steps.All(s => s.Kind == StepKind.Destroy) && Policy.Stop.Steps.Any(s => s.Kind != StepKind.Destroy))
            {
                atRisk = true;
            }

            return new PlannedGuest(Guest, Policy, steps.ToImmutable(), atRisk, [.. notes]);
        }
    }

    /// <summary>What one tier needs from the budget, worked out once: the planner asks for it per tier and per fitting.</summary>
    private sealed class TierNeeds
    {
        internal TierNeeds(int order, ImmutableArray<PreparedGuest> guests, Limits limits)
        {
            Order = order;
            Guests = guests;

            // The longest graceful wait, times the rounds the shutdowns limit makes the guests queue for.
            var longest = TimeSpan.Zero;
            int graceful = 0;
            var longestSave = TimeSpan.Zero;
            int saves = 0;
            foreach (var guest in guests)
            {
                var wait = guest.Graceful;
                longest = Max(longest, wait);
                graceful += wait > TimeSpan.Zero ? 1 : 0;
                if (guest.Save is { } save)
                {
                    longestSave = Max(longestSave, save);
                    saves++;
                }
            }

            int rounds = limits.Shutdowns > 0 ? (graceful + limits.Shutdowns - 1) / limits.Shutdowns : 1;
            GracefulNeed = longest * Math.Max(rounds, 1);

            // Saves run in rounds of `saves` at once: the last round ends after as many of the
            // longest saves (conservative: rounds of shorter saves end sooner).
            int saveRounds = limits.Saves > 0 ? (saves + limits.Saves - 1) / limits.Saves : 1;
            SaveNeed = saves == 0 ? TimeSpan.Zero : longestSave * saveRounds;

            // Snapshots run at once, every guest's before its first step: the longest counts.
            SnapshotNeed = guests.Aggregate(TimeSpan.Zero, (longestSnapshot, guest) => Max(longestSnapshot, guest.Snapshot));
        }

        internal int Order { get; }

        internal ImmutableArray<PreparedGuest> Guests { get; }

        internal TimeSpan GracefulNeed { get; }

        /// <summary>Time for the saves: the longest one, or all of them queued by the saves limit, whichever is more.</summary>
        internal TimeSpan SaveNeed { get; }

        /// <summary>Time for the snapshots before the first steps: the longest one.</summary>
        internal TimeSpan SnapshotNeed { get; }

        internal TimeSpan Need(double scale, bool dropSaves, bool dropSnapshots) =>
            (GracefulNeed * scale) + (dropSaves ? TimeSpan.Zero : SaveNeed) + (dropSnapshots ? TimeSpan.Zero : SnapshotNeed) + Estimates.DestroyAllowance;
    }
}
