using System.Collections.Immutable;

namespace Sundown.Core.Planning;

/// <summary>The guests of one order, stopped together; tiers are stopped highest order first.</summary>
/// <param name="Deadline">From the start of the stop, when every guest of the tier must be off (null without a budget).</param>
/// <param name="SaveReserve">Time kept before the deadline for the tier's saves, queued by the saves limit.</param>
/// <param name="WorstCaseStart">When the tier begins if every tier before it runs its full time.</param>
public sealed record PlanTier(int Order, TimeSpan? Deadline, TimeSpan SaveReserve, TimeSpan WorstCaseStart, TimeSpan WorstCaseEnd, ImmutableArray<PlannedGuest> Guests);
