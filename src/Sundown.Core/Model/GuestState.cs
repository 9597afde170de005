namespace Sundown.Core.Model;

/// <summary>
/// A guest's run state, as libvirt reports it. The names are Sundown's own so that the
/// engine never depends on libvirt's numbering; the binding maps between the two.
/// </summary>
public enum GuestState
{
    NoState,
    Running,
    Blocked,
    Paused,
    /// <summary>Being shut down: the guest has acknowledged a shutdown request.</summary>
    Shutdown,
    Shutoff,
    Crashed,
    PmSuspended,
}
