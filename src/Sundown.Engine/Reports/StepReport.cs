namespace Sundown.Engine.Reports;

/// <summary>One step taken on a guest, as the JSON contract reports it.</summary>
/// <param name="Action">agent, acpi, save, destroy, resume, wakeup (or start, for a restore).</param>
/// <param name="Result">ok, timeout, error or skipped.</param>
public sealed record StepReport(string Action, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Result, string? Error);
