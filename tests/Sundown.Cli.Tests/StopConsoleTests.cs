using System.Collections.Immutable;
using Sundown.Cli.Rendering;
using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;

namespace Sundown.Cli.Tests;

public sealed class StopConsoleTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_progress_line_is_the_time_since_the_start_the_guest_and_what_happened()
    {
        var output = new StringWriter();
        using var console = new StopConsole(output, TimeProvider.System);
        console.Planned(new Plan(null, ImmutableArray<PlanTier>.Empty, []), s_start);

        console.Progress(new StopProgress(At(0.04), "u", "1", "web", "acpi", null, null, null));
        console.Progress(new StopProgress(At(12.35), "u", "1", "web", "acpi", StepResult.Timeout, null, null));
        console.Progress(new StopProgress(At(99.96), "u", "1", "web", null, null, GuestOutcome.Destroyed, null));
        console.Progress(new StopProgress(At(123456.7), "u", "2", "db\tprod", "save", StepResult.Error, null, "disk full"));
        console.Progress(new StopProgress(At(-0.5), "u", "2", "db\tprod", null, StepResult.Error, null, "journal: disk full"));

        // Pinned to the time's own rendering (Seconds.Format, right-aligned in 7 columns).
        Assert.Equal(
            [
                $"[{Seconds.Format(TimeSpan.FromSeconds(0.04)),7}] web: acpi…",
                $"[{Seconds.Format(TimeSpan.FromSeconds(12.35)),7}] web: acpi timeout",
                $"[{Seconds.Format(TimeSpan.FromSeconds(99.96)),7}] web: destroyed",
                $"[{Seconds.Format(TimeSpan.FromSeconds(123456.7)),7}] db\\x09prod: save error (disk full)",
                $"[{Seconds.Format(TimeSpan.FromSeconds(-0.5)),7}] db\\x09prod",
            ],
            output.ToString().Split('\n')[1..^1]);
        Assert.Equal("[   0.0s] web: acpi…", output.ToString().Split('\n')[1]);
    }

    private static DateTimeOffset At(double seconds) => s_start + TimeSpan.FromSeconds(seconds);
}
