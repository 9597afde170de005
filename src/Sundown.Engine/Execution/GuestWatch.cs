using Sundown.Core.Hosts;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>
/// Turns one guest's lifecycle events into a task that completes when the guest is off:
/// stopped (shut down, destroyed, saved, crashed) or undefined. Registered before the first
/// step is taken, so no event can slip between a request and the wait for it.
/// </summary>
internal sealed class GuestWatch
{
    // virDomainEventStoppedDetailType and virDomainShutoffReason values that are not a
    // clean shutdown.
    private const int StoppedDestroyed = 1;
    private const int StoppedCrashed = 2;
    private const int StoppedSaved = 4;
    private const int ShutoffDestroyed = 2;
    private const int ShutoffCrashed = 3;
    private const int ShutoffSaved = 5;

    private readonly TaskCompletionSource<GuestOutcome> _off = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the guest is off, with how it went off.</summary>
    internal Task<GuestOutcome> Off => _off.Task;

    internal void OnEvent(LifecycleEvent lifecycleEvent)
    {
        switch (lifecycleEvent.Kind)
        {
            case LifecycleEventKind.Stopped:
                _off.TrySetResult(lifecycleEvent.Detail switch
                {
                    StoppedSaved => GuestOutcome.Saved,
                    StoppedDestroyed or StoppedCrashed => GuestOutcome.Destroyed,
                    _ => GuestOutcome.Shutdown,
                });
                break;
            case LifecycleEventKind.Undefined:
                _off.TrySetResult(GuestOutcome.Shutdown);
                break;
        }
    }

    /// <summary>For a SHUTOFF state read from the host, when an event may have been missed.</summary>
    internal void MarkOff(int shutoffReason) => _off.TrySetResult(shutoffReason switch
    {
        ShutoffSaved => GuestOutcome.Saved,
        ShutoffDestroyed or ShutoffCrashed => GuestOutcome.Destroyed,
        _ => GuestOutcome.Shutdown,
    });

    /// <summary>The guest is gone from the host (a transient guest that stopped, or undefined).</summary>
    internal void MarkGone() => _off.TrySetResult(GuestOutcome.Shutdown);
}
