using System.Collections.Immutable;

namespace Sundown.Engine.Reports;

/// <summary>One journaled stop or start: what <c>stop --json</c>, <c>start --json</c> and <c>report --json</c> print.</summary>
/// <param name="Kind">stop or start.</param>
public sealed record RunReport(
    long Run,
    string Kind,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? BudgetSeconds,
    ImmutableArray<GuestReport> Guests);
