using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// What the journal's past shutdowns say about the plan: the stop is replayed with each
    /// guest taking its typical shutdown (guests without history take all the time the plan
    /// gives them), tier after tier as the executor runs them, a tier starting when the one
    /// before it is done. A guest whose typical shutdown is longer than the graceful time it
    /// gets then, and whose plan has no save to fall back on, would be forced off.
    /// </summary>
    private static void Budget(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, SundownConfig config, List<Finding> findings)
    {
        var history = facts.History.TypicalShutdowns;
        if (history.IsEmpty)
        {
            return;
        }

        var estimates = facts.History.SaveBytesPerSecond is { } speed ? new Estimates(speed) : Estimates.Default;
        var plan = Planner.Build(guests, config.Budget, config.Limits, estimates);
        var needed = plan.Tiers.Aggregate(TimeSpan.Zero, (sum, tier) => sum + tier.Guests.Max(g => Typical(g) ?? Graceful(g.Policy.Stop)) + Estimates.DestroyAllowance);
        var clock = TimeSpan.Zero;
        foreach (var tier in plan.Tiers)
        {
            var tierStart = clock;
            var tierEnd = tierStart;
            foreach (var guest in tier.Guests)
            {
                var schedule = Planner.Schedule(guest, tier, tierStart);
                var graceful = schedule.Where(s => s.Kind.IsGraceful()).ToList();
                // Each graceful step waits its own time, never past the graceful end (EndBy).
                var waits = tierStart + graceful.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Wait);
                var window = graceful.Count == 0 ? TimeSpan.Zero
                    : (graceful[^1].EndBy is { } end && end < waits ? end : waits) - tierStart;
                window = window < TimeSpan.Zero ? TimeSpan.Zero : window;
                var save = guest.Steps.FirstOrDefault(s => s.Kind == StepKind.Save);
                var typical = Typical(guest);

                TimeSpan off;
                if (typical is { } t && graceful.Count > 0 && t <= window)
                {
                    off = tierStart + t;
                }
                else
                {
                    off = tierStart + window + (save?.Requested ?? TimeSpan.Zero) + Estimates.DestroyAllowance;
                    off = tier.Deadline is { } deadline && off > deadline ? deadline : off;
                    if (typical is { } longer && graceful.Count > 0 && save is null)
                    {
                        findings.Add(ForcedOff(guest, longer, window, config.Budget, needed));
                    }
                }

                tierEnd = off > tierEnd ? off : tierEnd;
            }

            clock = tierEnd;
        }

        TimeSpan? Typical(PlannedGuest guest) => history.TryGetValue(guest.Guest.Uuid, out var typical) ? typical : null;
    }

    private static Finding ForcedOff(PlannedGuest guest, TimeSpan typical, TimeSpan window, TimeSpan? budget, TimeSpan needed)
    {
        var subject = FindingSubject.Of(guest.Guest);
        var requested = Graceful(guest.Policy.Stop);
        string past = $"its last shutdowns took up to {Time(typical)}";
        if (typical > requested)
        {
            // Its own ladder forces it off, whatever the budget.
            var suggested = TimeSpan.FromSeconds(Math.Ceiling(typical.TotalSeconds * 1.5 / 10) * 10);
            return new Finding(
                Severity.Warning, FindingCodes.TimeoutBelowHistory, subject,
                $"{past}, but its ladder ({guest.Policy.Stop}) waits only {Time(requested)} before forcing it off",
                $"give it a longer timeout in a [[guest]] rule or its metadata, e.g. stop = [\"acpi {Durations.Format(suggested)}\", \"destroy\"], or save it before destroy");
        }

        string gets = window > TimeSpan.Zero ? $"it gets only {Time(window)}" : "it gets no time at all";
        return new Finding(
            Severity.Warning, FindingCodes.BudgetForcesOff, subject,
            $"{past}, but under the {Time(budget ?? TimeSpan.Zero)} budget {gets} once the tiers before it are done (order {guest.Policy.Order}): it would be forced off",
            $"raise the budget (the longest past shutdown of each tier adds up to about {Time(needed)}), or add save to its ladder so that it is saved instead of forced off");
    }

    private static TimeSpan Graceful(StopLadder ladder) =>
        ladder.Steps.Where(s => s.Kind.IsGraceful()).Aggregate(TimeSpan.Zero, (sum, s) => sum + (s.Timeout ?? TimeSpan.Zero));
}
