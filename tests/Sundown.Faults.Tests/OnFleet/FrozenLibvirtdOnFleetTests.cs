using System.Globalization;
using Sundown.Faults.Tests.Harness;
using Sundown.Integration.Tests;
using Sundown.Testing;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>
/// libvirtd frozen (<c>kill -STOP</c>) for 20 s in the middle of a stop, then thawed
/// (<c>kill -CONT</c>): the stop ends within its budget plus a stated margin, every guest that
/// can be shut down is, and the host's silence is reported as a <c>host</c> fault (keepalive
/// notices a dead peer in seconds, issue 11 item 4).
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class FrozenLibvirtdOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "faults deaf (ignores ACPI)";
    private const string Fast = "faults fast";
    private const string Slow = "faults slow, off while frozen";

    private static readonly string[] s_fleet = [$"{Deaf}\tignore_acpi", $"{Fast}\tdelay=1", $"{Slow}\tdelay=8"];
    private static readonly TimeSpan s_freezeAt = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_freeze = TimeSpan.FromSeconds(20);

    // Past the budget: a destroy due at the deadline is given 5 s more to answer (the planner's
    // Estimates.DestroyGrace), then 3 s for the binary's start, a reconnect and its exit on 2 busy cores.
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(8);

    private readonly Workspace _workspace = new();
    private string? _frozen;

    public async ValueTask InitializeAsync()
    {
        await FleetUp.StartAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        // Never leave the machine's libvirtd stopped, whatever the test did.
        if (_frozen is not null)
        {
            await ProcessRunner.RunAsync("kill", ["-CONT", _frozen]);
        }

        await Fleet.DownAsync();
        _workspace.Dispose();
    }

    [Fact(Timeout = 300_000)]
    public async Task A_stop_whose_libvirtd_freezes_for_20s_inside_the_graceful_time_waits_it_out_and_stops_every_guest()
    {
        // The graceful time (30 s) outlasts the freeze (3 s to 23 s): the slow guest powers off
        // while libvirtd is frozen, and only a stop that waits for the thaw sees it shut down.
        var budget = TimeSpan.FromSeconds(60);
        string config = _workspace.Config("budget = \"60s\"\n[defaults]\nstop = [\"acpi 30s\", \"destroy\"]\n");

        var run = await StopWhileFrozenAsync(config);

        FaultAssert.Exit(3, run);
        var report = StopReport.Parse(run);
        FaultAssert.Outcomes(report, new Dictionary<string, string> { [Deaf] = "destroyed", [Fast] = "shutdown", [Slow] = "shutdown" }, run);
        FaultAssert.Reported("host", report, run);
        FaultAssert.Within(budget, s_margin, run);
        await OnFleetAssert.AllOffAsync("faults ");
    }

    [Fact(Timeout = 300_000)]
    public async Task A_stop_whose_libvirtd_freezes_past_its_deadline_ends_at_its_budget_and_reports_what_it_could_not_stop()
    {
        // The deadline (12 s) falls inside the freeze (3 s to 23 s): the deaf guest's destroy is
        // due while nobody can carry it out. The stop must not wait for the thaw: it ends at its
        // budget, says which guest it could not stop (exit 4) and why.
        var budget = TimeSpan.FromSeconds(12);
        string config = _workspace.Config("budget = \"12s\"\n[defaults]\nstop = [\"acpi 5s\", \"destroy\"]\n");

        var run = await StopWhileFrozenAsync(config);

        FaultAssert.Exit(4, run);
        var report = StopReport.Parse(run);
        Assert.Equal("shutdown", report.Guests[Fast].Outcome);
        Assert.Equal("failed", report.Guests[Deaf].Outcome);
        FaultAssert.Reported("host", report, run);
        FaultAssert.Within(budget, s_margin, run);
    }

    /// <summary>Runs a stop on the fleet, freezing libvirtd <see cref="s_freezeAt"/> into it for <see cref="s_freeze"/>.</summary>
    private async Task<SundownBinary.Run> StopWhileFrozenAsync(string config)
    {
        string libvirtd = await LibvirtdPidAsync();
        var stop = SundownBinary.RunAsync(["stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _workspace.StateDirectory, "--json"], timeout: TimeSpan.FromMinutes(3));
        await Task.Delay(s_freezeAt);
        Assert.False(stop.IsCompleted, "the stop ended before libvirtd could be frozen");
        try
        {
            _frozen = libvirtd;
            await SignalAsync("-STOP", libvirtd);
            await Task.Delay(s_freeze);
        }
        finally
        {
            await SignalAsync("-CONT", libvirtd);
            _frozen = null;
        }

        return await stop;
    }

    private static async Task<string> LibvirtdPidAsync()
    {
        // fleet.sh runs it under tini: the daemon itself is the one process named libvirtd.
        var pgrep = await ProcessRunner.RunAsync("pgrep", ["-x", "libvirtd"]);
        string[] pids = pgrep.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(pgrep.ExitCode == 0 && pids.Length == 1, $"expected one libvirtd, found [{string.Join(", ", pids)}]");
        return int.Parse(pids[0], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task SignalAsync(string signal, string pid)
    {
        var kill = await ProcessRunner.RunAsync("kill", [signal, pid]);
        Assert.True(kill.ExitCode == 0, $"kill {signal} {pid}: {kill.Error}");
    }
}
