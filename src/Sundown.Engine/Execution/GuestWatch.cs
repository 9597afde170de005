using Sundown.Core.Hosts;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>
/// Turns one guest's lifecycle events into a task that completes when the guest is off:
/// stopped (shut down, destroyed, saved, crashed) or undefined. Registered before the first
/// step is taken, so no event can slip between a request and the wait for it. Only events
/// complete it: what a state read finds is the reading step's to act on.
/// </summary>
internal sealed class GuestWatch
{
    private readonly TaskCompletionSource<GuestOutcome> _off = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the guest is off, with how it went off.</summary>
    internal Task<GuestOutcome> Off => _off.Task;

    /// <summary>The outcome a guest found off has, by how it went off.</summary>
    internal static GuestOutcome OutcomeOf(OffCause cause) => cause switch
    {
        OffCause.Saved => GuestOutcome.Saved,
        OffCause.Destroyed => GuestOutcome.Destroyed,
        _ => GuestOutcome.Shutdown,
    };

    internal void OnEvent(LifecycleEvent lifecycleEvent)
    {
        switch (lifecycleEvent.Kind)
        {
            case LifecycleEventKind.Stopped:
                _off.TrySetResult(OutcomeOf(StateReasons.OfStoppedDetail(lifecycleEvent.Detail)));
                break;
            case LifecycleEventKind.Undefined:
                // Gone from the host: a transient guest that stopped, or one undefined meanwhile.
                _off.TrySetResult(GuestOutcome.Shutdown);
                break;
        }
    }
}
