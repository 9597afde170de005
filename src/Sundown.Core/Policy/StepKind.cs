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

    /// <summary>
    /// A disk-only external snapshot before the first stop step (policy key <c>snapshots</c>);
    /// never part of a ladder, added by the planner, and skipped rather than let hold the stop up.
    /// </summary>
    Snapshot,
}
