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

    /// <summary>Another reason libvirt logged (crashed, failed, …): the evidence says which.</summary>
    Other,
}

