using System.Collections.Immutable;
using Sundown.Cli.Rendering;
using Sundown.Cli.Systemd;
using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;

namespace Sundown.Cli.Tests.Systemd;

public sealed class LogPriorityTests
{
    [Theory]
    [InlineData("8:4242", "socket:[4242]", true)]
    [InlineData("8:4242", "socket:[42420]", false)]
    [InlineData("8:4242", "pipe:[4242]", false)]
    [InlineData("8:4242", "/dev/pts/0", false)]
    [InlineData("8:4242", "/var/log/sundown.log", false)]
    [InlineData("8:4242", null, false)]
    [InlineData("4242", "socket:[4242]", false)]
    [InlineData("", "socket:[4242]", false)]
    [InlineData("x:4242", "socket:[4242]", false)]
    public void JOURNAL_STREAM_must_name_the_socket_the_descriptor_points_to(string stream, string? target, bool expected) =>
        Assert.Equal(expected, LogPriority.Matches(stream, target));

    [Fact]
    public void A_line_gets_its_priority_as_a_prefix() =>
        Assert.Equal(["<3>failed", "<4>forced", "<6>fine"], [LogPriority.Prefix(LogPriority.Error, "failed"), LogPriority.Prefix(LogPriority.Warning, "forced"), LogPriority.Prefix(LogPriority.Info, "fine")]);

    [Fact]
    public void A_writer_that_is_not_the_process_output_never_goes_to_the_journal() =>
        Assert.False(LogPriority.GoesToJournal(new StringWriter()));

    [Fact]
    public void Stop_log_lines_carry_their_priority_when_they_go_to_the_journal()
    {
        var output = new StringWriter();
        var time = TimeProvider.System;
        using var console = new StopConsole(output, time, journal: true);
        var now = time.GetUtcNow();

        console.Planned(new Plan(TimeSpan.FromMinutes(1), ImmutableArray<PlanTier>.Empty, []), now);
        console.Progress(new StopProgress(now, "u", "1", "web", "acpi", null, null, null));
        console.Progress(new StopProgress(now, "u", "1", "web", "acpi", StepResult.Timeout, null, null));
        console.Progress(new StopProgress(now, "u", "1", "web", "destroy", null, null, null));
        console.Progress(new StopProgress(now, "u", "1", "web", null, null, GuestOutcome.Destroyed, null));
        console.Progress(new StopProgress(now, "u", "2", "db", "save", StepResult.Error, null, "disk full"));
        console.Progress(new StopProgress(now, "u", "2", "db", null, null, GuestOutcome.Failed, null));

        string[] lines = output.ToString().TrimEnd().Split('\n');
        Assert.Equal(["<6>", "<6>", "<4>", "<4>", "<4>", "<3>", "<3>"], lines.Select(line => line[..3]));
        Assert.Equal("<6>Stopping 0 guests within 60.0s (0 already off).", lines[0]);
    }

    [Fact]
    public void Off_the_journal_the_lines_are_unchanged()
    {
        var output = new StringWriter();
        using var console = new StopConsole(output, TimeProvider.System);

        console.Planned(new Plan(null, ImmutableArray<PlanTier>.Empty, []), TimeProvider.System.GetUtcNow());

        Assert.Equal("Stopping 0 guests (0 already off).", output.ToString().TrimEnd());
    }
}
