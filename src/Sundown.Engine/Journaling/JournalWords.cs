namespace Sundown.Engine.Journaling;

/// <summary>
/// The words the journal stores and the JSON contract prints for <see cref="RunKind"/>,
/// <see cref="GuestOutcome"/> and <see cref="StepResult"/>. Written out rather than derived
/// from the enum names, so renaming a member cannot change a stable word.
/// </summary>
public static class JournalWords
{
    public static string ToWord(this RunKind kind) => kind switch
    {
        RunKind.Stop => "stop",
        RunKind.Start => "start",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string ToWord(this GuestOutcome outcome) => outcome switch
    {
        GuestOutcome.Shutdown => "shutdown",
        GuestOutcome.Saved => "saved",
        GuestOutcome.Destroyed => "destroyed",
        GuestOutcome.AlreadyOff => "already-off",
        GuestOutcome.Started => "started",
        GuestOutcome.Restored => "restored",
        GuestOutcome.Skipped => "skipped",
        GuestOutcome.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    public static string ToWord(this StepResult result) => result switch
    {
        StepResult.Ok => "ok",
        StepResult.Timeout => "timeout",
        StepResult.Error => "error",
        StepResult.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };

    /// <summary>The kind for <c>"stop"</c> or <c>"start"</c>; null for any other word.</summary>
    public static RunKind? RunKindFromWord(string word) => word switch
    {
        "stop" => RunKind.Stop,
        "start" => RunKind.Start,
        _ => null,
    };

    /// <summary>The outcome for a contract word (<c>"already-off"</c>, …); null for any other word.</summary>
    public static GuestOutcome? GuestOutcomeFromWord(string word) => word switch
    {
        "shutdown" => GuestOutcome.Shutdown,
        "saved" => GuestOutcome.Saved,
        "destroyed" => GuestOutcome.Destroyed,
        "already-off" => GuestOutcome.AlreadyOff,
        "started" => GuestOutcome.Started,
        "restored" => GuestOutcome.Restored,
        "skipped" => GuestOutcome.Skipped,
        "failed" => GuestOutcome.Failed,
        _ => null,
    };

    /// <summary>The result for <c>"ok"</c>, <c>"timeout"</c>, <c>"error"</c> or <c>"skipped"</c>; null for any other word.</summary>
    public static StepResult? StepResultFromWord(string word) => word switch
    {
        "ok" => StepResult.Ok,
        "timeout" => StepResult.Timeout,
        "error" => StepResult.Error,
        "skipped" => StepResult.Skipped,
        _ => null,
    };
}
