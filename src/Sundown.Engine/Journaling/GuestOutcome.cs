namespace Sundown.Engine.Journaling;

/// <summary>How one guest ended a run. The JSON contract's words are in <see cref="JournalWords"/>.</summary>
public enum GuestOutcome
{
    /// <summary>Shut down cleanly (agent or ACPI).</summary>
    Shutdown,

    /// <summary>Managed-saved to disk; a start restores it.</summary>
    Saved,

    /// <summary>Powered off: the last resort.</summary>
    Destroyed,

    /// <summary>Was off, or went off by itself, before a step was needed.</summary>
    AlreadyOff,

    /// <summary>Booted by a start.</summary>
    Started,

    /// <summary>Resumed from its managed-save image by a start.</summary>
    Restored,

    /// <summary>Left alone on purpose (excluded, transient, already running on start).</summary>
    Skipped,

    /// <summary>Could not be brought to the wanted state.</summary>
    Failed,
}
