using Sundown.Core.Hosts;

namespace Sundown.Engine.Execution;

/// <summary>
/// Turns one guest's lifecycle events into a task that completes when the guest is off:
/// stopped (shut down, destroyed, saved, crashed) or undefined. Registered before the first
/// step is taken, so no event can slip between a request and the wait for it.
/// </summary>
internal sealed class GuestWatch
{
    // STOPPED detail SAVED (virDomainEventStoppedDetailType).
    private const int StoppedSaved = 4;

    private readonly TaskCompletionSource<bool> _off = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the guest is off; true when it was saved.</summary>
    internal Task<bool> Off => _off.Task;

    internal void OnEvent(LifecycleEvent lifecycleEvent)
    {
        switch (lifecycleEvent.Kind)
        {
            case LifecycleEventKind.Stopped:
                _off.TrySetResult(lifecycleEvent.Detail == StoppedSaved);
                break;
            case LifecycleEventKind.Undefined:
                _off.TrySetResult(false);
                break;
        }
    }

    /// <summary>For a state read directly from the host, when an event may have been missed.</summary>
    internal void MarkOff(bool saved) => _off.TrySetResult(saved);
}
