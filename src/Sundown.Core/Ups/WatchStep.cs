using System.Collections.Immutable;

namespace Sundown.Core.Ups;

/// <summary>One reading's outcome: the next state, what happened, and what to do.</summary>
/// <param name="Budget">For <see cref="WatchAction.Stop"/>: the stop's budget (runtime − margin, min the configured one); null for no deadline.</param>
/// <param name="TriggerRuntime">The <c>battery.runtime</c> at or below which the stop begins, while on battery with a worst case known.</param>
public sealed record WatchStep(WatchState State, ImmutableArray<WatchEvent> Events, WatchAction Action, TimeSpan? Budget, TimeSpan? TriggerRuntime);
