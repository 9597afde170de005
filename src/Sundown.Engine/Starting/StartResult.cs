using Sundown.Engine.Reports;

namespace Sundown.Engine.Starting;

/// <summary>
/// A restore: its report (journaled, or for a dry run what would be done) and exit status.
/// The report is null when there was nothing to restore (no stop recorded, or its list already used).
/// </summary>
public sealed record StartResult(RunReport? Report, int ExitCode);
