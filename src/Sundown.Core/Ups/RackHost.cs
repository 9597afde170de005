namespace Sundown.Core.Ups;

/// <summary>One <c>[[ups.secondary]]</c> of the primary's config: another host on the same UPS.</summary>
/// <param name="Host">How the operator calls it, for doctor's and watch's messages.</param>
/// <param name="Needs">Its guests' stop's worst case, as its own <c>sundown plan</c> says ("worst case").</param>
/// <param name="Margin">Its own [ups] margin: what it keeps back for its host's shutdown.</param>
public sealed record RackHost(string Host, TimeSpan Needs, TimeSpan Margin);
