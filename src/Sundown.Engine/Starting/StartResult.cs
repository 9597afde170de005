using Sundown.Engine.Reports;

namespace Sundown.Engine.Starting;

/// <summary>
/// A restore: its report (journaled, or for a dry run what would be done) and exit status.
/// When there was nothing to restore (no stop recorded, or its list already used) the report
/// has no guests and run id 0: nothing was journaled.
/// </summary>
public sealed record StartResult(RunReport Report, int ExitCode);
