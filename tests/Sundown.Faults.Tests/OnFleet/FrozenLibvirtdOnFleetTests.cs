using System.Globalization;
using Sundown.Faults.Tests.Harness;
using Sundown.Integration.Tests;
using Sundown.Testing;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>
/// libvirtd frozen (<c>kill -STOP</c>) for 20 s in the middle of a stop, then thawed: the stop
/// ends within its budget plus a stated margin, every guest that can be shut down is, the deaf
/// one is powered off at its deadline, and the host's silence is reported as a <c>host</c> fault.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class FrozenLibvirtdOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "faults deaf (ignores ACPI)";
    private const string Fast = "faults fast";
    private const string Slow = "faults slow, off while frozen";

    private static readonly string[] s_fleet = [$"{Deaf}\tignore_acpi", $"{Fast}\tdelay=1", $"{Slow}\tdelay=8"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_freeze = TimeSpan.FromSeconds(20);

    // Past the budget: the binary's start, a reconnect after the thaw and a destroy, on 2 busy cores.
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    private readonly Workspace _workspace = new();
    private string? _frozen;

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        await Fleet.UpAsync(s_fleet);
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
    public async Task A_stop_during_which_libvirtd_freezes_for_20s_ends_within_its_budget_and_stops_every_guest()
    {
        // The graceful time (30 s) outlasts the freeze: the slow guest powers off while libvirtd
        // is frozen, and only a stop that waits for the thaw sees it shut down, not destroyed.
        string config = _workspace.Config("budget = \"60s\"\n[defaults]\nstop = [\"acpi 30s\", \"destroy\"]\n");
        string libvirtd = await LibvirtdPidAsync();

        var stop = SundownBinary.RunAsync(["stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _workspace.StateDirectory, "--json"], timeout: TimeSpan.FromMinutes(3));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(stop.IsCompleted, "the stop ended before libvirtd could be frozen");
        try
        {
            _frozen = libvirtd;
            await Signal("-STOP", libvirtd);
            await Task.Delay(s_freeze);
        }
        finally
        {
            await Signal("-CONT", libvirtd);
            _frozen = null;
        }

        var run = await stop;

        FaultAssert.Exit(3, run);
        var report = StopReport.Parse(run);
        FaultAssert.Outcomes(report, new Dictionary<string, string> { [Deaf] = "destroyed", [Fast] = "shutdown", [Slow] = "shutdown" }, run);
        FaultAssert.Reported("host", report, run);
        FaultAssert.Within(s_budget, s_margin, run);
        await OnFleetAssert.AllOffAsync("faults ");
    }

    private static async Task<string> LibvirtdPidAsync()
    {
        // fleet.sh runs it under tini: the daemon itself is the process named libvirtd.
        var pgrep = await ProcessRunner.RunAsync("pgrep", ["-x", "libvirtd"]);
        string[] pids = pgrep.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(pgrep.ExitCode == 0 && pids.Length == 1, $"expected one libvirtd, found [{string.Join(", ", pids)}]");
        return int.Parse(pids[0], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task Signal(string signal, string pid)
    {
        var kill = await ProcessRunner.RunAsync("kill", [signal, pid]);
        Assert.True(kill.ExitCode == 0, $"kill {signal} {pid}: {kill.Error}");
    }
}
