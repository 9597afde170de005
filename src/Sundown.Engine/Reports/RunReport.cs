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
    ImmutableArray<GuestReport> Guests)
{
    /// <summary>What went wrong around the guests and was worked around (<c>"faults"</c> in the JSON).</summary>
    public ImmutableArray<Fault> Faults { get; init; } = [];

    /// <summary>The hooks the run ran, in the order they ended (<c>"hooks"</c> in the JSON).</summary>
    public ImmutableArray<Hooks.HookResult> Hooks { get; init; } = [];

    /// <summary>When the last step of the run ended (or the run finished, if later).</summary>
    public DateTimeOffset EndedAt =>
        Guests.SelectMany(g => g.Steps).Select(s => s.EndedAt ?? s.StartedAt).Append(FinishedAt ?? StartedAt).Max();

    /// <summary>The guest that held the run up: the one whose last step ended last. Null when no step was taken.</summary>
    public GuestReport? CriticalGuest => Guests
        .Where(g => !g.Steps.IsEmpty)
        .OrderByDescending(g => g.Steps.Max(s => s.EndedAt ?? s.StartedAt))
        .FirstOrDefault();
}
