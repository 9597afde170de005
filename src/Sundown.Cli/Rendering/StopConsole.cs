using System.Globalization;
using System.Text;
using Sundown.Cli.Systemd;
using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;

namespace Sundown.Cli.Rendering;

/// <summary>
/// A stop as it happens. One line per step and per finished guest, always (a log reads
/// them, so does a person); on a terminal also a status line kept at the bottom with the
/// guests still up, the time elapsed and the time left to the deadline.
/// </summary>
/// <param name="journal">Lines go to the journal: each begins with its syslog priority.</param>
internal sealed class StopConsole(TextWriter output, TimeProvider time, bool journal = false) : IStopObserver, IDisposable
{
    private readonly Lock _lock = new();
    private readonly bool _live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    private readonly HashSet<string> _up = [];
    private readonly StringBuilder _line = new(capacity: 256);
    private DateTimeOffset _start;
    private TimeSpan? _budget;
    private int _total;
    private ITimer? _ticker;

    public void Planned(Plan plan, DateTimeOffset runStart)
    {
        lock (_lock)
        {
            _start = runStart;
            _budget = plan.Budget;
            _total = plan.Guests.Count();
            foreach (var guest in plan.Guests)
            {
                _up.Add(guest.Guest.Uuid);
            }

            string budget = plan.Budget is { } b ? $" within {Seconds.Format(b)}" : "";
            WriteLine($"Stopping {_total} guest{(_total == 1 ? "" : "s")}{budget} ({plan.AlreadyOff.Length} already off).");
            if (_live)
            {
                _ticker = time.CreateTimer(_ => Redraw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
            }
        }
    }

    public void Progress(StopProgress progress)
    {
        lock (_lock)
        {
            if (progress.Outcome is not null)
            {
                _up.Remove(progress.Uuid);
            }

            // Built in one reused buffer and written from it: a stop of thousands of guests
            // prints three lines for each, and strings for their pieces were a good part of
            // what it allocated. The line is "[{Seconds.Format(at - start),7}] {name}: {what}".
            var line = StartLine(Priority(progress));
            line.Append(CultureInfo.InvariantCulture, $"[{(progress.At - _start).TotalSeconds,6:0.0}s] ").Append(TextTable.Printable(progress.Name));
            switch (progress.Action, progress.Result, progress.Outcome)
            {
                case (_, _, { } outcome):
                    line.Append(": ").Append(outcome.ToWord());
                    break;
                case ({ } action, null, _):
                    line.Append(": ").Append(action).Append('…');
                    break;
                case ({ } action, { } result, _):
                    line.Append(": ").Append(action).Append(' ').Append(result.ToWord());
                    if (progress.Error is { } error)
                    {
                        line.Append(" (").Append(error).Append(')');
                    }

                    break;
            }

            WriteLine(line);
        }
    }

    /// <summary>A fault worked around: always at priority err, whatever else the stop does.</summary>
    public void Fault(Fault fault)
    {
        lock (_lock)
        {
            string subject = fault.Subject is { } s ? $" {TextTable.Printable(s)}:" : "";
            WriteLine($"fault ({fault.Kind}):{subject} {fault.Message}", LogPriority.Error);
        }
    }

    /// <summary>The UPS is on battery and set the budget: at priority warning (the power is out).</summary>
    public void Notice(string message)
    {
        lock (_lock)
        {
            WriteLine($"notice: {message}", LogPriority.Warning);
        }
    }

    /// <summary>The budget was made shorter mid-stop: said at priority warning, and the status line counts to the new end.</summary>
    public void Tightened(TimeSpan budget, string message)
    {
        lock (_lock)
        {
            _budget = budget;
            WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{(time.GetUtcNow() - _start).TotalSeconds,6:0.0}s] budget tightened to {Seconds.Format(budget)}: {message}"), LogPriority.Warning);
        }
    }

    /// <summary>The closing summary: what became of the guests and how much of the budget it took.</summary>
    internal void Finish(StopResult result)
    {
        lock (_lock)
        {
            _ticker?.Dispose();
            _ticker = null;
            var counts = result.Report.Guests
                .GroupBy(g => g.Outcome ?? "unfinished")
                .Select(group => $"{group.Count()} {group.Key}");
            var took = (result.Report.FinishedAt ?? time.GetUtcNow()) - result.Report.StartedAt;
            string budget = result.Report.BudgetSeconds is { } b ? $" of a {b:0.#}s budget" : "";
            int priority = result.ExitCode switch
            {
                ExitCodes.Ok => LogPriority.Info,
                ExitCodes.SomeForced or ExitCodes.Interrupted => LogPriority.Warning,
                _ => LogPriority.Error,
            };
            string faults = result.Report.Faults.Length switch
            {
                0 => "",
                1 => " 1 fault was worked around (above).",
                int n => $" {n} faults were worked around (above).",
            };
            bool hostMissed = result.Report.Faults.Any(f => f.Kind == FaultKinds.Host);
            bool guestMissed = result.Report.Guests.Any(g => g.Outcome is null or "failed" or "skipped");
            string verdict = result.ExitCode == ExitCodes.SomeFailed && hostMissed
                ? $" Some host could not be reached: its guests could not be stopped.{(guestMissed ? Verdict(result.ExitCode) : "")}"
                : Verdict(result.ExitCode);
            WriteLine($"Done in {Seconds.Format(took)}{budget}: {string.Join(", ", counts)}.{verdict}{faults}", priority);
            if (_live)
            {
                output.Write("\r\x1b[K");
            }
        }
    }

    public void Dispose() => _ticker?.Dispose();

    private static string Verdict(int exitCode) => exitCode switch
    {
        ExitCodes.SomeForced => " Some guests were forced off.",
        ExitCodes.SomeFailed => " Some guests could not be stopped.",
        ExitCodes.Interrupted => " Interrupted: run `sundown stop` again to finish.",
        _ => "",
    };

    /// <summary>A failed step, or a guest that failed or was left up, is an error; a timeout, or a power-off (a forced step), a warning.</summary>
    private static int Priority(StopProgress progress) => (progress.Action, progress.Result, progress.Outcome) switch
    {
        (_, _, GuestOutcome.Failed or GuestOutcome.Skipped) => LogPriority.Error,
        (_, _, GuestOutcome.Destroyed) => LogPriority.Warning,
        (_, StepResult.Error, _) => LogPriority.Error,
        (_, StepResult.Timeout, _) => LogPriority.Warning,
        ("destroy", _, _) => LogPriority.Warning,
        _ => LogPriority.Info,
    };

    private void WriteLine(string line, int priority = LogPriority.Info) => WriteLine(StartLine(priority).Append(line));

    /// <summary>The line buffer, emptied, with the priority prefix if lines go to the journal. Called under <c>_lock</c>.</summary>
    private StringBuilder StartLine(int priority)
    {
        _line.Clear();
        if (journal)
        {
            _line.Append(LogPriority.Prefix(priority, ""));
        }

        return _line;
    }

    private void WriteLine(StringBuilder line)
    {
        if (_live)
        {
            output.Write("\r\x1b[K");
        }

        // One write per line, as WriteLine(string) made: the builder holds the line and its end.
        output.Write(line.AppendLine());
        if (_live)
        {
            output.Write(Status());
        }

        output.Flush();
    }

    private void Redraw()
    {
        lock (_lock)
        {
            output.Write("\r\x1b[K" + Status());
            output.Flush();
        }
    }

    private string Status()
    {
        var elapsed = time.GetUtcNow() - _start;
        string deadline = _budget is { } b ? $" · {Seconds.Format(b - elapsed)} to the deadline" : "";
        return $"\x1b[7m {_up.Count} of {_total} still up · {Seconds.Format(elapsed)} elapsed{deadline} \x1b[0m";
    }
}
