namespace Sundown.Engine.Journaling;

/// <summary>How one step ended. The JSON contract's words are in <see cref="JournalWords"/>.</summary>
public enum StepResult
{
    /// <summary>The step did what it was for.</summary>
    Ok,

    /// <summary>A graceful step's guest did not go off in time.</summary>
    Timeout,

    /// <summary>The host refused or failed the step.</summary>
    Error,

    /// <summary>Not taken after all (the guest went off meanwhile, or the step does not apply).</summary>
    Skipped,
}
