using Sundown.Core.Policy;

namespace Sundown.Core.Planning;

/// <summary>A step with the times the executor holds it to, from the start of the stop.</summary>
/// <param name="Wait">For agent and acpi: how long to wait for the guest to go off.</param>
/// <param name="StartBy">If the step cannot begin by then, it is skipped (null: it always runs when reached).</param>
/// <param name="EndBy">When the step is cut short and the next begins, whatever it is doing (null: no limit).</param>
public sealed record ScheduledStep(StepKind Kind, TimeSpan Wait, TimeSpan? StartBy, TimeSpan? EndBy);
