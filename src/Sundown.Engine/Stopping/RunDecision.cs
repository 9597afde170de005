namespace Sundown.Engine.Stopping;

/// <summary>What a stop does about the unfinished run it found: <see cref="Continuation.Decide"/>.</summary>
/// <param name="Continue">True: pick the unfinished run up again; false: begin a new run.</param>
/// <param name="Budget">The budget the stop runs with: always the new request's, a continuation's too.</param>
/// <param name="Abandoned">For a new run begun while an unfinished one was found: why that one is not continued (it is closed). Null otherwise.</param>
public sealed record RunDecision(bool Continue, TimeSpan? Budget, string? Abandoned)
{
    public static RunDecision New(TimeSpan? budget, string? abandoned = null) => new(false, budget, abandoned);

    public static RunDecision Continuing(TimeSpan? budget) => new(true, budget, null);
}
