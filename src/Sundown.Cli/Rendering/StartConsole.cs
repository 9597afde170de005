using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Rendering;

/// <summary>A restore as it happens: one line per guest, then a summary.</summary>
internal sealed class StartConsole(TextWriter output, TextWriter error)
{
    private readonly Lock _lock = new();

    /// <summary>A fault worked around; on stderr, whatever stdout carries.</summary>
    internal void Fault(Fault fault)
    {
        lock (_lock)
        {
            error.WriteLine($"sundown: {(fault.Subject is { } subject ? $"{TextTable.Printable(subject)}: " : "")}{fault.Message}");
        }
    }

    internal void Progress(StopProgress progress)
    {
        string name = TextTable.Printable(progress.Name);
        string? line = progress.Outcome is { } outcome
            ? $"{name}: {outcome.ToWord()}{(progress.Error is { } why ? $" ({why})" : "")}"
            : progress.Action is not null ? $"{name}: starting…" : null;
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            output.WriteLine(line);
        }
    }

    internal void Finish(StartResult result, bool dryRun)
    {
        if (result.Report.Guests.IsEmpty)
        {
            output.WriteLine("Nothing to restore: no stop is recorded, or its guests were already brought back.");
            return;
        }

        var counts = result.Report.Guests.GroupBy(g => g.Outcome ?? "unfinished").Select(group => $"{group.Count()} {group.Key}");
        output.WriteLine($"{(dryRun ? "Would bring back" : "Done")}: {string.Join(", ", counts)}.");
    }
}
