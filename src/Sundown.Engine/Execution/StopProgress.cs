using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>Something a stop did, for live progress on a terminal or a log line.</summary>
/// <param name="Action">The step's action ("acpi", "save"…), or null when the guest finished.</param>
/// <param name="Result">Set when a step ended.</param>
/// <param name="Outcome">Set when the guest finished.</param>
public sealed record StopProgress(DateTimeOffset At, string Uri, string Uuid, string Name, string? Action, StepResult? Result, GuestOutcome? Outcome, string? Error);
