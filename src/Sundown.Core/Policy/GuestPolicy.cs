using Sundown.Core.Hooks;

namespace Sundown.Core.Policy;

/// <summary>How one guest is stopped and brought back.</summary>
/// <param name="Order">Start order: higher starts later and stops earlier (an app of 20 stops before its database of 10).</param>
public sealed record GuestPolicy(StopLadder Stop, int Order, RestoreRule Restore, TimeSpan StartDelay)
{
    /// <summary>How many of Sundown's disk-only snapshots to keep (one is made before each stop); 0, the default, makes none.</summary>
    public int Snapshots { get; init; }

    public static GuestPolicy Default { get; } = new(StopLadder.Default, 0, RestoreRule.Previous, TimeSpan.Zero);

    /// <summary>The guest's <c>pre_stop</c>, <c>post_stop</c> and <c>post_start</c> hooks (none by default).</summary>
    public HookSet Hooks { get; init; } = HookSet.Empty;
}
