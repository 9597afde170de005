using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>
/// What one step came to: how it ends in the journal and the report (<see cref="Result"/>,
/// <see cref="Error"/>), and what the guest's ladder does next, which the subtype says.
/// </summary>
internal abstract record StepVerdict(StepResult Result, string? Error)
{
    /// <summary>The guest is off: its ladder ends with <paramref name="Outcome"/>.</summary>
    internal sealed record Off(GuestOutcome Outcome, StepResult Result = StepResult.Ok, string? Error = null) : StepVerdict(Result, Error);

    /// <summary>The guest is still up (or nobody can tell): the next step begins.</summary>
    internal sealed record Next(StepResult Result, string? Error = null) : StepVerdict(Result, Error);

    /// <summary>The ladder ends here without the guest brought off: it failed, or an interrupt left it.</summary>
    internal sealed record Halt(GuestOutcome Outcome, StepResult Result, string? Error) : StepVerdict(Result, Error);
}
