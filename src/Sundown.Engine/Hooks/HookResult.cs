using System.Collections.Immutable;
using Sundown.Core.Hooks;

namespace Sundown.Engine.Hooks;

/// <summary>What one hook did: journaled, shown by <c>report</c> (<c>"hooks"</c> in the JSON).</summary>
/// <param name="Uri">The guest's host; null for a run's hook.</param>
/// <param name="Uuid">The guest's UUID; null for a run's hook.</param>
/// <param name="Guest">The guest's name; null for a run's hook.</param>
/// <param name="Result">One of <see cref="HookResults"/>.</param>
/// <param name="ExitCode">Its exit status; null when it did not start, or was ended by a signal.</param>
/// <param name="Error">Why it did not end well (not found, exit status 3, killed at its deadline…); null when it did.</param>
/// <param name="Output">The last <see cref="HookRunner.OutputLimit"/> bytes of its stdout and stderr, interleaved as they came.</param>
public sealed record HookResult(
    HookKind Kind,
    string? Uri,
    string? Uuid,
    string? Guest,
    ImmutableArray<string> Argv,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    string Result,
    int? ExitCode,
    string? Error,
    string Output)
{
    public bool Succeeded => Result == HookResults.Ok;
}
