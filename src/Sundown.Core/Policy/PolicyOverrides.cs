using Sundown.Core.Hooks;

namespace Sundown.Core.Policy;

/// <summary>The parts of a policy that a <c>[[guest]]</c> rule or a guest's metadata sets; null leaves it as it was.</summary>
public sealed record PolicyOverrides(StopLadder? Stop = null, int? Order = null, RestoreRule? Restore = null, TimeSpan? StartDelay = null)
{
    /// <summary>The <c>snapshots</c> key: how many of Sundown's snapshots to keep (0 = none made).</summary>
    public int? Snapshots { get; init; }

    public GuestPolicy ApplyTo(GuestPolicy policy) => new(
        Stop ?? policy.Stop,
        Order ?? policy.Order,
        Restore ?? policy.Restore,
        StartDelay ?? policy.StartDelay)
    {
        Snapshots = Snapshots ?? policy.Snapshots,
        Hooks = policy.Hooks.Overridden(Hooks),
    };

    /// <summary>The hooks it sets, each on its own; null (or a null hook) leaves the policy's.</summary>
    public HookSet? Hooks { get; init; }
}
