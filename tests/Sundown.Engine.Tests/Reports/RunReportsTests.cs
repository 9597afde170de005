using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Tests.Reports;

/// <summary>A run's report from its journal record; no journal file needed.</summary>
public sealed class RunReportsTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 25, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_guest_gets_its_own_steps_in_the_order_they_were_taken()
    {
        // The same UUID on two hosts is two guests; their steps interleave in the journal.
        RunGuestRecord[] guests =
        [
            new("qemu:///system", "u1", "web", "running", 0, true, GuestOutcome.Destroyed, 12),
            new("qemu+ssh://b/system", "u1", "web on b", "running", 0, true, GuestOutcome.Shutdown, 3),
            new("qemu:///system", "u2", "idle", "shutoff", 0, false, GuestOutcome.AlreadyOff, 0),
        ];
        StepRecord[] steps =
        [
            new(1, "qemu:///system", "u1", "acpi", s_t0, s_t0.AddSeconds(10), StepResult.Timeout, null),
            new(2, "qemu+ssh://b/system", "u1", "acpi", s_t0, s_t0.AddSeconds(3), StepResult.Ok, null),
            new(3, "qemu:///system", "u1", "destroy", s_t0.AddSeconds(10), s_t0.AddSeconds(10), StepResult.Ok, null),
        ];
        var record = new RunRecord(7, RunKind.Stop, s_t0, s_t0.AddSeconds(12), 60, 3, [.. guests], [.. steps]);

        var report = RunReports.FromRecord(record);

        Assert.Equal(["web", "web on b", "idle"], report.Guests.Select(g => g.Name));
        Assert.Equal([("acpi", "timeout"), ("destroy", "ok")], report.Guests[0].Steps.Select(s => (s.Action, s.Result)));
        Assert.Equal([("acpi", "ok")], report.Guests[1].Steps.Select(s => (s.Action, s.Result)));
        Assert.Empty(report.Guests[2].Steps);
        Assert.Equal(("destroyed", 12.0), (report.Guests[0].Outcome, report.Guests[0].Seconds!.Value));
    }
}
