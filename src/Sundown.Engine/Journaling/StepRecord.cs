namespace Sundown.Engine.Journaling;

/// <summary>One step taken on one guest. Written when it starts, completed when it ends.</summary>
/// <param name="Action">The step's word: <c>"acpi"</c>, <c>"save"</c>, … (<c>StepKinds.ToName</c>).</param>
/// <param name="EndedAt">Null while the step runs, or if the run died during it.</param>
/// <param name="Result">Null while the step runs, or if the run died during it.</param>
/// <param name="Error">The host's message when the step failed.</param>
public sealed record StepRecord(
    long Id,
    string Uri,
    string Uuid,
    string Action,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    StepResult? Result,
    string? Error);
