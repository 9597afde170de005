using Sundown.Core.Policy;

namespace Sundown.Core.Planning;

/// <summary>One step of a guest's plan.</summary>
/// <param name="Requested">The time the ladder asks for (agent, acpi), or the estimate (save); zero for the others.</param>
/// <param name="Duration">The time the plan gives it: <paramref name="Requested"/>, shrunk when the budget is short.</param>
/// <param name="WorstCaseStart">When it begins, from the start of the stop, if every step before it runs its full time.</param>
public sealed record PlannedStep(StepKind Kind, TimeSpan Requested, TimeSpan Duration, TimeSpan WorstCaseStart);
