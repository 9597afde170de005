using System.Collections.Immutable;

namespace Sundown.Engine.Reports;

/// <summary>What happened to one guest in a run.</summary>
/// <param name="InitialState">The contract word of its state when the run began (running, paused…).</param>
/// <param name="Outcome">shutdown, saved, destroyed, already-off, started, restored, skipped or failed; null while unfinished.</param>
public sealed record GuestReport(
    string Uri,
    string Name,
    string Uuid,
    string InitialState,
    string? Outcome,
    double? Seconds,
    ImmutableArray<StepReport> Steps);
