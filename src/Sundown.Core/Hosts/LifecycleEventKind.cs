namespace Sundown.Core.Hosts;

/// <summary>libvirt's lifecycle event kinds, in libvirt's order (the binding relies on it).</summary>
public enum LifecycleEventKind
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,

    /// <summary>The guest has begun, or finished, shutting down (before <see cref="Stopped"/>).</summary>
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,
}
