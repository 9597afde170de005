namespace Sundown.Engine.Journaling;

/// <summary>One line of the run history: a run without its guests and steps.</summary>
/// <param name="Guests">How many guests the run recorded.</param>
public sealed record RunSummary(
    long Id,
    RunKind Kind,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    int Guests);
