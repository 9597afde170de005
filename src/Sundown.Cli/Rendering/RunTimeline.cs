using System.Text;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Rendering;

/// <summary>
/// A run as a Gantt chart in the terminal: one row per guest, its steps as coloured bars on
/// a shared time axis, the deadline marked; then each guest's steps in words.
/// </summary>
internal static class RunTimeline
{
    private const int Columns = 60;

    internal static void Write(TextWriter output, RunReport run, bool colour)
    {
        var span = Span(run);
        var used = run.EndedAt - run.StartedAt;
        string budget = run.BudgetSeconds is { } b ? $" of a {b:0.#}s budget ({used.TotalSeconds / b * 100:0}%)" : "";
        output.WriteLine($"Run {run.Run} · {run.Kind} · {run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC · {Seconds.Format(used)}{budget}{(run.FinishedAt is null ? " · unfinished" : "")}");
        if (run.CriticalGuest is { } critical)
        {
            output.WriteLine($"Held up by: {TextTable.Printable(critical.Name)} ({critical.Outcome ?? "unfinished"} at {Seconds.Format(critical.Steps.Max(s => s.EndedAt ?? s.StartedAt) - run.StartedAt)})");
        }

        if (run.Guests.IsEmpty)
        {
            output.WriteLine("No guests.");
            return;
        }

        int nameWidth = Math.Min(32, run.Guests.Max(g => TextTable.Printable(g.Name).Length));
        output.WriteLine();
        output.WriteLine(new string(' ', nameWidth + 2) + Axis(span));
        int? deadline = run.BudgetSeconds is { } budgetSeconds ? Column(TimeSpan.FromSeconds(budgetSeconds), span) : null;
        foreach (var guest in run.Guests)
        {
            var row = new StringBuilder();
            string name = TextTable.Printable(guest.Name);
            row.Append((name.Length > nameWidth ? name[..(nameWidth - 1)] + "…" : name).PadRight(nameWidth + 2));
            row.Append(Bars(guest, run.StartedAt, span, deadline, colour));
            row.Append($"  {guest.Outcome ?? "unfinished",-11} {(guest.Seconds is { } s ? $"{s:0.0}s" : "")}");
            output.WriteLine(row.ToString().TrimEnd());
        }

        output.WriteLine();
        output.WriteLine("  " + string.Join("  ", StepColors.Legend.Select(action => $"{Swatch(action, colour)} {action}")) + (deadline is null ? "" : "   │ deadline"));
        output.WriteLine();
        foreach (var guest in run.Guests)
        {
            output.WriteLine($"{TextTable.Printable(guest.Name)} ({guest.InitialState} → {guest.Outcome ?? "unfinished"})");
            foreach (var step in guest.Steps)
            {
                string end = step.EndedAt is { } e ? Seconds.Format(e - run.StartedAt) : "…";
                output.WriteLine($"  {Seconds.Format(step.StartedAt - run.StartedAt),7} – {end,-7} {step.Action,-8} {step.Result ?? "running"}{(step.Error is { } why ? $": {why}" : "")}");
            }
        }

        WriteHooks(output, run);
    }

    /// <summary>The run's hooks, each with its result and the tail of its output (indented, unprintable characters shown escaped).</summary>
    private static void WriteHooks(TextWriter output, RunReport run)
    {
        if (run.Hooks.IsEmpty)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("Hooks:");
        foreach (var hook in run.Hooks)
        {
            string whose = hook.Guest is { } name ? TextTable.Printable(name) : "(run)";
            string argv = TextTable.Printable(string.Join(' ', hook.Argv));
            output.WriteLine($"  {Seconds.Format(hook.StartedAt - run.StartedAt),7} – {Seconds.Format(hook.EndedAt - run.StartedAt),-7} {Core.Hooks.HookKinds.ToKey(hook.Kind),-10} {whose}: {argv}: {hook.Result}{(hook.Error is { } why ? $" ({why})" : "")}");
            foreach (string line in hook.Output.TrimEnd('\n').Split('\n'))
            {
                if (line.Length > 0)
                {
                    output.WriteLine($"      | {TextTable.Printable(line)}");
                }
            }
        }
    }

    /// <summary>The time the chart covers: the whole run, and the budget when there is one.</summary>
    internal static TimeSpan Span(RunReport run)
    {
        var used = run.EndedAt - run.StartedAt;
        var budget = run.BudgetSeconds is { } b ? TimeSpan.FromSeconds(b) : TimeSpan.Zero;
        var span = used > budget ? used : budget;
        return span > TimeSpan.FromSeconds(1) ? span : TimeSpan.FromSeconds(1);
    }

    private static string Bars(GuestReport guest, DateTimeOffset start, TimeSpan span, int? deadline, bool colour)
    {
        var cells = new string?[Columns + 1];
        foreach (var step in guest.Steps)
        {
            int from = Column(step.StartedAt - start, span);
            int to = Math.Max(from, Column((step.EndedAt ?? step.StartedAt) - start, span) - 1);
            for (int c = from; c <= to && c <= Columns; c++)
            {
                cells[c] = step.Action;
            }
        }

        var text = new StringBuilder();
        for (int c = 0; c <= Columns; c++)
        {
            text.Append(cells[c] is { } action ? Swatch(action, colour) : c == deadline ? "│" : " ");
        }

        return text.ToString();
    }

    private static string Swatch(string action, bool colour) =>
        colour ? $"\x1b[48;5;{StepColors.Ansi(action)}m \x1b[0m" : StepColors.Letter(action).ToString();

    private static int Column(TimeSpan offset, TimeSpan span) => (int)Math.Round(Math.Clamp(offset / span, 0, 1) * Columns);

    private static string Axis(TimeSpan span)
    {
        var axis = new StringBuilder(new string(' ', Columns + 8));
        for (int tick = 0; tick <= 4; tick++)
        {
            string label = Seconds.Format(span * tick / 4).Replace(".0s", "s", StringComparison.Ordinal);
            int at = Math.Min(tick * Columns / 4, axis.Length - label.Length);
            axis.Remove(at, label.Length).Insert(at, label);
        }

        return axis.ToString().TrimEnd();
    }
}
