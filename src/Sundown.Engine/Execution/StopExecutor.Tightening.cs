using Sundown.Core.Planning;

namespace Sundown.Engine.Execution;

/// <summary>
/// The budget made shorter while the stop runs (the UPS says the battery ends before the plan's
/// deadline): the tiers not yet begun are planned again with what is left, the tier that runs has
/// its deadline moved earlier and every guest's remaining times with it, and every wait wakes up
/// to count to its new end. Never looser: a budget that grows again gives no time back.
/// </summary>
public sealed partial class StopExecutor
{
    private readonly Lock _tightening = new();
    private Plan? _plan;
    private TimeSpan? _budget;
    private RunningTier? _running;
    private Wake _wake = new(CancellationToken.None);

    /// <summary>The run's budget now, from its start: the plan's, or shorter once tightened.</summary>
    public TimeSpan? Budget
    {
        get
        {
            lock (_tightening)
            {
                return _budget;
            }
        }
    }

    /// <summary>Fires on the next tightening: a wait counting to a step's end takes it and counts again.</summary>
    internal Wake CurrentWake => Volatile.Read(ref _wake);

    /// <summary>
    /// Holds the rest of the run to <paramref name="budget"/> from its start, when that is shorter
    /// than the budget it has (or it had none). Called from any thread while <see cref="RunAsync"/> runs.
    /// </summary>
    /// <returns>True when the run was tightened; false when the budget it has is as short already, or its tiers are all done.</returns>
    public bool Tighten(TimeSpan budget)
    {
        if (budget < TimeSpan.Zero)
        {
            budget = TimeSpan.Zero;
        }

        Wake fired;
        lock (_tightening)
        {
            if (_plan is null || _budget is { } had && had <= budget)
            {
                return false;
            }

            _budget = budget;
            if (_running is { } running)
            {
                var fitted = Fit(running.Index, running.Start, running.Tier);
                // The smaller save reserve too: when what is left drops the saves, the graceful steps
                // need not end early for saves that will be skipped.
                var tier = running.Tier with
                {
                    Deadline = fitted.Deadline,
                    SaveReserve = fitted.SaveReserve < running.Tier.SaveReserve ? fitted.SaveReserve : running.Tier.SaveReserve,
                };
                _running = running with { Tier = tier };
                foreach (var stopper in running.Stoppers)
                {
                    stopper.Tighten(Planner.Schedule(stopper.Planned, tier, running.Start));
                }
            }

            fired = _wake;
            _wake = new Wake(_interrupt);
        }

        fired.Fire();
        return true;
    }

    /// <summary>
    /// Tier <paramref name="index"/> as it runs from <paramref name="tierStart"/>: as planned while
    /// the budget is the plan's, else planned again together with the tiers after it in what is left
    /// of the tightened budget, its deadline never later than <paramref name="planned"/>'s. Under the lock.
    /// </summary>
    private PlanTier Fit(int index, TimeSpan tierStart, PlanTier planned)
    {
        if (_budget == _plan!.Budget || _budget is not { } budget)
        {
            return planned;
        }

        var left = budget > tierStart ? budget - tierStart : TimeSpan.Zero;
        var rest = Planner.Build([.. _plan.Tiers.Skip(index).SelectMany(t => t.Guests).Select(g => (g.Guest, g.Policy))], left, _limits, _estimates);
        var first = rest.Tiers[0];
        var deadline = tierStart + first.Deadline!.Value;
        if (planned.Deadline is { } had && had < deadline)
        {
            deadline = had;
        }

        return first with { Deadline = deadline, WorstCaseStart = first.WorstCaseStart + tierStart, WorstCaseEnd = first.WorstCaseEnd + tierStart };
    }

    /// <summary>The stoppers of one tier, made and registered under the lock, so that a tightening sees them or they see it.</summary>
    private List<GuestStopper> BeginTier(int index, DateTimeOffset runStart, Func<PlannedGuest, GuestWatch> watchOf)
    {
        lock (_tightening)
        {
            var tierStart = Time.GetUtcNow() - runStart;
            var tier = Fit(index, tierStart, _plan!.Tiers[index]);
            var stoppers = tier.Guests
                .Select(guest => new GuestStopper(this, HostOf(guest.Guest), guest, Planner.Schedule(guest, tier, tierStart), watchOf(guest), runStart))
                .ToList();
            _running = new RunningTier(index, tierStart, tier, stoppers);
            return stoppers;
        }
    }

    /// <summary>Every tier is done: a tightening now has nothing left to move (and says nothing).</summary>
    private void EndTiers()
    {
        lock (_tightening)
        {
            _running = null;
            _plan = null;
        }
    }

    private sealed record RunningTier(int Index, TimeSpan Start, PlanTier Tier, IReadOnlyList<GuestStopper> Stoppers);

    /// <summary>
    /// One generation of tightening: its token fires when the next one comes. One source per
    /// tightening, not per wait: thousands of guests wait at once, and tightenings are seconds apart.
    /// </summary>
    internal sealed class Wake
    {
        private readonly CancellationTokenSource _fired = new();
        private readonly CancellationTokenSource _firedOrInterrupted;

        internal Wake(CancellationToken interrupt) =>
            _firedOrInterrupted = CancellationTokenSource.CreateLinkedTokenSource(_fired.Token, interrupt);

        internal bool Fired => _fired.IsCancellationRequested;

        /// <summary>Fires on the next tightening, and on the run's interrupt when <paramref name="interrupt"/> is it (not for a wait the interrupt must not cut short).</summary>
        internal CancellationToken Token(CancellationToken interrupt) => interrupt.CanBeCanceled ? _firedOrInterrupted.Token : _fired.Token;

        internal void Fire() => _fired.Cancel();
    }
}
