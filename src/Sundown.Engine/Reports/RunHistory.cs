using Sundown.Engine.Journaling;

namespace Sundown.Engine.Reports;

/// <summary>Past runs, read from the journal in the state directory; read-only, no lock needed.</summary>
public static class RunHistory
{
    /// <summary>The run with that id, or the newest when <paramref name="run"/> is null; null when there is none.</summary>
    public static RunReport? Load(string stateDirectory, long? run)
    {
        using var journal = OpenExisting(stateDirectory);
        var record = journal is null ? null : run is { } id ? journal.LoadRun(id) : journal.LastRun();
        return record is null ? null : RunReports.FromRecord(record) with { Hooks = [.. journal!.HooksOf(record.Id)] };
    }

    public static IReadOnlyList<RunSummary> List(string stateDirectory)
    {
        using var journal = OpenExisting(stateDirectory);
        return journal?.ListRuns() ?? [];
    }

    // A report never creates a journal: no file means no runs.
    private static Journal? OpenExisting(string stateDirectory) =>
        File.Exists(Path.Combine(stateDirectory, Journal.FileName)) ? Journal.Open(stateDirectory) : null;
}
