using System.Collections.Immutable;

namespace Sundown.Engine.Journaling;

/// <summary>One run with everything the journal knows about it.</summary>
/// <param name="FinishedAt">Null while the run goes on, or if it died: such a run can be continued.</param>
/// <param name="BudgetSeconds">The stop's whole budget; null when it had none (and for starts).</param>
/// <param name="ExitCode">The exit status the run ended with; null while unfinished.</param>
/// <param name="Guests">In the order they were recorded.</param>
/// <param name="Steps">In the order they were started.</param>
public sealed record RunRecord(
    long Id,
    RunKind Kind,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? BudgetSeconds,
    int? ExitCode,
    ImmutableArray<RunGuestRecord> Guests,
    ImmutableArray<StepRecord> Steps)
{
    /// <summary>For a stop with <c>--only</c>, the names it was limited to (sorted); null for a whole-host run.</summary>
    public ImmutableArray<string>? Only { get; init; }
}
