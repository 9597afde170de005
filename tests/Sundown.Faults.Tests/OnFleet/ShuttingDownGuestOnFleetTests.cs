using System.Globalization;
using Sundown.Faults.Tests.Harness;
using Sundown.Integration.Tests;
using Sundown.Testing;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>
/// A guest already shutting down (libvirt's state <c>shutdown</c>) when the stop begins is
/// waited for within its graceful time, not powered off at once. QEMU holds that state only
/// for the moment between the guest's power-off and libvirt's SIGTERM, so the harness makes it
/// last: libvirtd frozen while the guest powers off, its QEMU frozen before libvirtd thaws
/// (libvirtd then marks it shutting down and sends a SIGTERM that waits), and QEMU thawed
/// a few seconds into the stop, when it exits as a guest that shut down.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class ShuttingDownGuestOnFleetTests : IAsyncLifetime
{
    private const string GoingDown = "faults going down";
    private const string Other = "faults other";

    private static readonly string[] s_fleet = [$"{GoingDown}\tdelay=1", $"{Other}\tdelay=1"];
    private static readonly TimeSpan s_graceful = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_thawAfter = TimeSpan.FromSeconds(4);

    private readonly Workspace _workspace = new();
    private readonly List<string> _frozen = [];
    private IReadOnlyList<Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        _guests = await FleetUp.StartAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        // Never leave libvirtd or a QEMU stopped, whatever the test did.
        foreach (string pid in _frozen)
        {
            await ProcessRunner.RunAsync("kill", ["-CONT", pid]);
        }

        await Fleet.DownAsync();
        _workspace.Dispose();
    }

    [Fact(Timeout = 300_000)]
    public async Task A_guest_already_shutting_down_is_waited_for_not_destroyed_at_once()
    {
        string config = _workspace.Config($"budget = \"60s\"\n[defaults]\nstop = [\"acpi {(int)s_graceful.TotalSeconds}s\", \"destroy\"]\n");
        string qemu = await MakeShuttingDownAsync(_guests.Single(g => g.Name == GoingDown));

        var stop = SundownBinary.RunAsync(["stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _workspace.StateDirectory, "--json"], timeout: TimeSpan.FromMinutes(3));
        await Task.Delay(s_thawAfter);
        await SignalAsync("-CONT", qemu);
        _frozen.Remove(qemu);
        var run = await stop;

        FaultAssert.Exit(0, run);
        var report = StopReport.Parse(run);
        Assert.Equal("shutdown", report.Guests[GoingDown].InitialState);
        FaultAssert.Outcomes(report, new Dictionary<string, string> { [GoingDown] = "shutdown", [Other] = "shutdown" }, run);
        Assert.DoesNotContain("destroy", report.Guests[GoingDown].Actions);
        // Its QEMU ran on only when thawed: the stop waited for it that long, no longer than its graceful time.
        FaultAssert.Within(s_graceful, TimeSpan.FromSeconds(5), run);
        await OnFleetAssert.AllOffAsync("faults ");
    }

    /// <summary>Leaves the guest in libvirt's state <c>shutdown</c> with its QEMU stopped; returns that QEMU's pid.</summary>
    private async Task<string> MakeShuttingDownAsync(Fleet.FleetGuest guest)
    {
        string libvirtd = await SingleAsync("pgrep", "-x", "libvirtd");
        string qemu = (await File.ReadAllTextAsync(Path.Combine("/run/libvirt/qemu", guest.Name + ".pid"))).Trim();
        var press = await ProcessRunner.RunAsync("virsh", ["-q", "-c", Fleet.Uri, "shutdown", guest.Uuid]);
        Assert.True(press.ExitCode == 0, press.Error);
        _frozen.Add(libvirtd);
        await SignalAsync("-STOP", libvirtd);
        // delay=1: the guest powers off a second after the button; QEMU (-no-shutdown) then
        // waits, its SHUTDOWN event unread by the frozen libvirtd.
        await Task.Delay(TimeSpan.FromSeconds(4));
        _frozen.Add(qemu);
        await SignalAsync("-STOP", qemu);
        await SignalAsync("-CONT", libvirtd);
        _frozen.Remove(libvirtd);
        for (int i = 0; i < 50; i++)
        {
            var state = await ProcessRunner.RunAsync("virsh", ["-q", "-c", Fleet.Uri, "domstate", guest.Uuid]);
            if (state.Output.Trim() == "in shutdown")
            {
                return qemu;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.Fail($"'{guest.Name}' never showed as shutting down: the fault was not made");
        return qemu;
    }

    private static async Task<string> SingleAsync(string program, params string[] args)
    {
        var run = await ProcessRunner.RunAsync(program, args);
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(run.ExitCode == 0 && lines.Length == 1, $"{program} {string.Join(' ', args)}: [{string.Join(", ", lines)}]");
        return int.Parse(lines[0], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task SignalAsync(string signal, string pid)
    {
        var kill = await ProcessRunner.RunAsync("kill", [signal, pid]);
        Assert.True(kill.ExitCode == 0, $"kill {signal} {pid}: {kill.Error}");
    }
}
