namespace Sundown.Core.Ups;

/// <summary>What <see cref="WatchTrigger"/> remembers between two readings.</summary>
/// <param name="OnLineSince">Since when the UPS has been on line without going on battery again, once a stop began; null otherwise.</param>
public sealed record WatchState(WatchPhase Phase, DateTimeOffset? OnLineSince)
{
    /// <summary>On battery, the last reading's runtime was at or below the trigger point already: the next one at it begins the stop.</summary>
    public bool AtTrigger { get; init; }

    public static WatchState Initial { get; } = new(WatchPhase.OnLine, null);
}
