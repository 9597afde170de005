using System.Globalization;
using Sundown.Engine.Journaling;

namespace Sundown.Cli.Rendering;

/// <summary><c>report --list</c>: past runs, newest first.</summary>
internal static class RunList
{
    internal static void Write(TextWriter output, IReadOnlyList<RunSummary> runs)
    {
        if (runs.Count == 0)
        {
            output.WriteLine("No runs recorded.");
            return;
        }

        var table = new TextTable("RUN", "KIND", "STARTED (UTC)", "TOOK", "GUESTS", "EXIT");
        foreach (var run in runs)
        {
            table.Add(
                run.Id.ToString(CultureInfo.InvariantCulture),
                run.Kind.ToWord(),
                run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                run.FinishedAt is { } end ? Seconds.Format(end - run.StartedAt) : "unfinished",
                run.Guests.ToString(CultureInfo.InvariantCulture),
                run.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-");
        }

        table.Write(output);
    }
}
