namespace Sundown.WholeHost.Tests;

/// <summary>How a guest's QEMU ended at the host's shutdown, read from libvirt's log of it.</summary>
internal enum GuestFate
{
    /// <summary>The guest powered itself off (ACPI or agent): libvirt logged reason=shutdown.</summary>
    ShutDown,

    /// <summary>Managed-saved: reason=saved.</summary>
    Saved,

    /// <summary>Powered off by libvirt on request (virDomainDestroy): reason=destroyed.</summary>
    ForcedOff,

    /// <summary>
    /// QEMU got a signal from someone other than libvirtd, typically PID 1 stopping the guest's machine
    /// scope: what happens to guests nobody handled before the host went down.
    /// </summary>
    KilledByHost,

    /// <summary>Still running when the log ends: no exit was recorded at all.</summary>
    NoExitRecorded,

    /// <summary>
    /// Off, not killed, in a way no log tells any more: its QEMU log ends without its exit (on
    /// Debian 13 libvirt writes that log through virtlogd, which systemd stops at once beside a
    /// unit not ordered after it), and its machine scope emptied before systemd's stop of it
    /// reached it. For a contender that never destroys or saves, a shutdown.
    /// </summary>
    OffUnlogged,

    /// <summary>Another reason libvirt logged (crashed, failed, …): the evidence says which.</summary>
    Other,
}

