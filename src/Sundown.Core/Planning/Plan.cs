using System.Collections.Immutable;
using Sundown.Core.Model;

namespace Sundown.Core.Planning;

/// <summary>What a stop would do, step by step, with when each step must begin to meet the budget.</summary>
/// <param name="AlreadyOff">Guests that are off already: nothing to do.</param>
public sealed record Plan(TimeSpan? Budget, ImmutableArray<PlanTier> Tiers, ImmutableArray<Guest> AlreadyOff)
{
    public TimeSpan WorstCaseEnd => Tiers.Length == 0 ? TimeSpan.Zero : Tiers[^1].WorstCaseEnd;

    public IEnumerable<PlannedGuest> Guests => Tiers.SelectMany(tier => tier.Guests);
}
