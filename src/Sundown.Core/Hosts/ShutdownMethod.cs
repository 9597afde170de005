namespace Sundown.Core.Hosts;

/// <summary>How a shutdown request reaches the guest.</summary>
public enum ShutdownMethod
{
    /// <summary>The hypervisor's choice (QEMU: the guest agent if configured, else ACPI).</summary>
    Default,

    /// <summary>The ACPI power button.</summary>
    Acpi,

    /// <summary>A shutdown command through the QEMU guest agent.</summary>
    Agent,
}
