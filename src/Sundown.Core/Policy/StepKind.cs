namespace Sundown.Core.Policy;

/// <summary>One thing Sundown can do to a guest while stopping it.</summary>
public enum StepKind
{
    /// <summary>Shutdown through the QEMU guest agent.</summary>
    Agent,

    /// <summary>The ACPI power button.</summary>
    Acpi,

    /// <summary>Managed save: memory to disk, restored at the next start.</summary>
    Save,

    /// <summary>Power off at once: the last resort.</summary>
    Destroy,

    /// <summary>Preparation for a paused guest, which cannot hear the power button.</summary>
    Resume,

    /// <summary>Preparation for a pm-suspended guest.</summary>
    Wakeup,
}
