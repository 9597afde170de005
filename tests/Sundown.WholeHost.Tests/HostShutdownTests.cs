using Sundown.Engine.Journaling;
using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// A real systemd powers off a real host with guests on it, and boots it again: Sundown's unit, as
/// the Debian package installs it, against libvirt's daemons, virt-guest-shutdown.target and
/// the guests' machine scopes. Then the same host with libvirt-guests.service, as the peer.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed partial class HostShutdownTests
{
    internal const string Fast = "fast";
    internal const string Slow = "slow ünï 'q' $(x)";
    internal const string Deaf = "deaf";
    internal const string Paused = "paused";
    internal const string SavedOne = "saved one";

    /// <summary>
    /// The fleet of the poweroff tests, every contender's (AutoShutdownPeerTests' too), in the
    /// order the results table lists them. Each guest writes numbered, synced records to its own
    /// disk, which <see cref="GuestDisks"/> reads from outside once the host is down.
    /// </summary>
    internal static readonly string[] StandardFleet =
    [
        $"{Fast}\tdelay=1 disk",
        $"{Slow}\tdelay=6 disk",
        $"{Deaf}\tignore_acpi disk",
        $"{Paused}\tpaused delay=2 disk",
        $"{SavedOne}\tdelay=2 disk",
    ];

    /// <summary>The ACPI timeout both contenders get.</summary>
    private const int AcpiTimeoutSeconds = 10;

    private static readonly string s_config = $"""
        budget = "60s"
        [defaults]
        stop = ["acpi {AcpiTimeoutSeconds}s", "destroy"]
        [[guest]]
        match = "saved*"
        stop = ["save", "destroy"]
        """;

    /// <summary>
    /// On both Debian releases (a test each, so that a benchmark can run one): the one test every release must pass. On Debian 13 libvirt writes
    /// the guests' serial consoles through virtlogd, so the serial logs also show that virtlogd
    /// outlived the stop (unordered, it is stopped the instant sundown's stop begins).
    /// </summary>
    [Fact(Timeout = 600_000)]
    public Task Poweroff_handles_every_guest_per_its_policy_before_the_host_goes_down_and_the_next_boot_brings_back_what_ran_on_Debian_12() =>
        PoweroffAndBootAsync(HostRelease.Bookworm);

    /// <inheritdoc cref="Poweroff_handles_every_guest_per_its_policy_before_the_host_goes_down_and_the_next_boot_brings_back_what_ran_on_Debian_12"/>
    [Fact(Timeout = 600_000)]
    public Task Poweroff_handles_every_guest_per_its_policy_before_the_host_goes_down_and_the_next_boot_brings_back_what_ran_on_Debian_13() =>
        PoweroffAndBootAsync(HostRelease.Trixie);

    /// <summary>
    /// "0": the same poweroff with sundown-watch.service disabled, its row recorded as
    /// "sundown.service alone" (bench/wholehost.sh sets it for the table's row without watch).
    /// </summary>
    internal const string WatchVariable = "SUNDOWN_WHOLEHOST_WATCH";

    private static async Task PoweroffAndBootAsync(string release)
    {
        bool watch = Environment.GetEnvironmentVariable(WatchVariable) != "0";
        await WholeHost.RequireAsync(release);
        await using var host = await WholeHost.CreateAsync(release);
        await InstallSundownAsync(host, s_config, watch);
        await host.BootAsync();
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "sundown.service"])).Output.Trim());
        var guests = await host.UpAsync(StandardFleet);
        // What libvirt asks of systemd for each guest, and what the unit's ordering relies on.
        string scope = (await host.CheckedRunAsync("systemctl", "list-units", "--plain", "--no-legend", "machine-qemu*.scope")).Split(' ')[0];
        string scopeOrder = await host.CheckedRunAsync("systemctl", "show", "-p", "Before", "-p", "After", scope);
        Assert.Matches(@"(?m)^Before=.*\bvirt-guest-shutdown\.target\b", scopeOrder);
        Assert.Matches(@"(?m)^After=.*\blibvirtd\.service\b", scopeOrder);
        var timeout = await StopTimeoutAsync(host);
        Assert.Equal(TimeSpan.FromSeconds(120), timeout); // static: the stop extends it to the 60 s budget + 30 s itself
        await GuestDisks.WaitForRecordsAsync(guests, paused: Paused);
        var synced = GuestDisks.LastSynced(guests);

        var powerOff = await host.PowerOffAsync();
        var disks = await GuestDisks.CheckAsync(host, guests, Names, synced);

        // Sundown's journal, written inside the host: each guest per its policy.
        var stop = LastRun(host, RunKind.Stop);
        Assert.NotNull(stop.FinishedAt);
        Assert.Equal(3, stop.ExitCode); // the deaf guest was forced off
        Assert.Equal(new Dictionary<string, GuestOutcome?>
        {
            [Fast] = GuestOutcome.Shutdown,
            [Slow] = GuestOutcome.Shutdown,
            [Deaf] = GuestOutcome.Destroyed,
            [Paused] = GuestOutcome.Shutdown,
            [SavedOne] = GuestOutcome.Saved,
        }, stop.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        Assert.Equal(["resume", "acpi"], Actions(stop, guests[Paused]));
        Assert.Equal(["acpi", "destroy"], Actions(stop, guests[Deaf]));
        Assert.InRange(stop.Guests.Single(g => g.Name == Deaf).Seconds!.Value, AcpiTimeoutSeconds - 0.5, AcpiTimeoutSeconds + 3);

        // What each guest printed while it shut down, up to the kernel's last line: all of it
        // reached its serial log, through virtlogd where libvirt uses it.
        foreach (string name in new[] { Fast, Slow, Paused })
        {
            AssertSerialLogUpToPowerOff(name, await File.ReadAllTextAsync(guests[name].SerialLog));
        }

        Assert.DoesNotContain("guest: power button", await File.ReadAllTextAsync(guests[SavedOne].SerialLog));
        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        var fates = GuestFates.AtPowerOff(host, journal, Names);
        Assert.Equal(
            [GuestFate.ShutDown, GuestFate.ShutDown, GuestFate.ForcedOff, GuestFate.ShutDown, GuestFate.Saved],
            fates.Select(f => f.Fate));

        // systemd's view: its stop of the guests' machine scopes had nothing left to kill. A scope
        // that still holds processes when its stop job runs is logged "Stopping machine-qemu…"
        // (then its processes get SIGTERM); an empty one only "Stopped", and one whose guest went
        // off before the shutdown job (watch's stop begins 5 s before it) "…scope: Deactivated
        // successfully" and no stop at all. On Debian 12 every scope is gone before sundown.service
        // stops; on Debian 13 (cgroup v1 in the container) systemd may not notice at once that a
        // guest's scope emptied, and stops it, empty, after sundown.
        var sundownStopped = journal.RequireSystemd("Stopped sundown.service");
        var scopesStopped = journal.IndexesOf("machine-qemu")
            .Where(i => journal.Line(i).Contains("Stopped machine-qemu", StringComparison.Ordinal) || journal.Line(i).Contains(".scope: Deactivated successfully", StringComparison.Ordinal))
            .GroupBy(i => ScopeName().Match(journal.Line(i)).Value)
            .Select(scope => scope.First())
            .ToList();
        Assert.True(scopesStopped.Count == guests.Count, $"{scopesStopped.Count} machine scopes stopped, not {guests.Count}:\n{string.Join('\n', journal.LinesWith("machine-qemu"))}");
        Assert.Empty(journal.LinesWith("Stopping machine-qemu"));
        if (release == HostRelease.Bookworm)
        {
            Assert.All(scopesStopped, index => Assert.True(index < sundownStopped.Index, $"a machine scope stopped after sundown.service: {journal.Line(index)}"));
        }
        var targetStopped = journal.RequireSystemd("Stopped target virt-guest-shutdown.target");
        var libvirtdStopping = journal.RequireSystemd("Stopping libvirtd.service");
        Assert.True(sundownStopped.Index < targetStopped.Index && targetStopped.Index < libvirtdStopping.Index, "the stop order was not sundown.service, virt-guest-shutdown.target, libvirtd.service");
        // virtlogd (the guests' logs) only after sundown; libvirtd never lost its pipe to it.
        var virtlogdStopping = journal.RequireSystemd("Stopping virtlogd.service");
        Assert.True(sundownStopped.Index < virtlogdStopping.Index, $"virtlogd.service began to stop before sundown.service had stopped:\n{journal.Line(virtlogdStopping.Index)}");
        Assert.Empty(journal.LinesWith("Cannot write data: Broken pipe"));
        var unitStop = journal.AssertStoppedWithin("sundown.service", timeout);

        // Begun by sundown watch at logind's PrepareForShutdown, while logind waited out libvirtd's
        // delay lock (5 s) before systemd's shutdown job: one run, which sundown.service's stop,
        // ordered after watch's, joined without a second one. So the poweroff takes the slowest
        // guest's own time and little more, not that plus the 5 s.
        using (var runs = Journal.Open(host.StateDirectory))
        {
            Assert.Single(runs.ListRuns(), r => r.Kind == RunKind.Stop);
        }

        if (watch)
        {
            Assert.NotEmpty(journal.LinesWith("logind announces the host's shutdown (PrepareForShutdown): the guests' stop begins now"));
            Assert.NotEmpty(journal.LinesWith($"every guest is shut off already: run {stop.Id}"));
            double slowest = stop.Guests.Max(g => g.Seconds!.Value);
            Assert.True(powerOff.TotalSeconds <= slowest + 1.5, $"poweroff → off took {powerOff.TotalSeconds:0.0} s, the slowest guest {slowest:0.0} s: more than 1.5 s apart");
        }
        else
        {
            Assert.Empty(journal.LinesWith("logind announces the host's shutdown"));
        }

        // The disks, from outside: the guests shut down left clean filesystems with every record
        // they had synced; the saved one's is still mounted (checked again below, after its restore).
        foreach (var disk in disks.Where(d => d.Guest is Fast or Slow or Paused))
        {
            GuestDisks.AssertSafe(disk);
        }

        var record = new ShutdownRecord(watch ? "sundown" : "sundown.service alone", powerOff, unitStop, fates, host.Release);
        record.Write();
        new DataSafetyRecord(record, disks).Write();

        // The next boot: the unit's `sundown start` brings back exactly what ran; the saved guest
        // is resumed, not booted again.
        await host.BootAsync();
        var start = LastRun(host, RunKind.Start);
        Assert.Equal(new Dictionary<string, GuestOutcome?>
        {
            [Fast] = GuestOutcome.Started,
            [Slow] = GuestOutcome.Started,
            [Deaf] = GuestOutcome.Started,
            [Paused] = GuestOutcome.Started,
            [SavedOne] = GuestOutcome.Restored,
        }, start.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        foreach (var guest in guests.Values)
        {
            string state = (await host.CheckedRunAsync("virsh", "domstate", guest.Uuid)).Trim();
            Assert.True(state == (guest.Name == Paused ? "paused" : "running"), $"'{guest.Name}' is {state} after the boot");
        }

        // The booted ones print "guest: up" a second time; by then the saved one would have, had it
        // been booted rather than resumed.
        foreach (string name in new[] { Fast, Slow, Deaf })
        {
            await WaitForAsync(guests[name].SerialLog, log => Count(log, "guest: up") == 2, $"'{name}' did not boot again");
        }

        Assert.Equal(1, Count(await File.ReadAllTextAsync(guests[SavedOne].SerialLog), "guest: up"));
        // And it is alive where it left off: its power button still works.
        // It goes on writing after its last record before the save, and shuts down with them all.
        await WaitForAsync(guests[SavedOne].SerialLog, log => FleetScript.LastSynced(log) > synced[SavedOne], "the restored guest wrote no record after its restore");
        await host.CheckedRunAsync("virsh", "shutdown", guests[SavedOne].Uuid);
        await WaitForAsync(guests[SavedOne].SerialLog, log => log.Contains("guest: power button", StringComparison.Ordinal), "the restored guest ignored its power button");
        await WaitForShutOffAsync(host, guests[SavedOne]);
        GuestDisks.AssertSafe(await GuestDisks.CheckOneAsync(host.InRoot(FleetScript.DiskPath(guests[SavedOne].Uuid)), SavedOne, synced[SavedOne]));
    }

    private static async Task WaitForShutOffAsync(WholeHost host, FleetScript.UpGuest guest)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await host.CheckedRunAsync("virsh", "domstate", guest.Uuid)).Trim() != "shut off")
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{guest.Name}' was not shut off 60 s after its power button");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// The budget's deadline at a real shutdown, and systemd's timer: a drop-in gives the stop less
    /// time (8 s) than its budget (12 s), as an operator's edit or a continued run would; only
    /// sundown's EXTEND_TIMEOUT_USEC= (at once up to its limit, then every 5 s) keeps systemd from
    /// killing it before the deadline. <see cref="Without_EXTEND_TIMEOUT_USEC_systemd_kills_a_stop_that_outlives_TimeoutStopSec"/>
    /// is the control. The unit's stop alone (watch disabled), as the timer is its.
    /// </summary>
    [Fact(Timeout = 600_000)]
    public async Task A_budget_shorter_than_the_slowest_guest_forces_it_off_at_its_deadline_and_EXTEND_TIMEOUT_USEC_keeps_systemd_from_killing_the_stop_first()
    {
        await WholeHost.RequireAsync();
        await using var host = await WholeHost.CreateAsync();
        await InstallSundownAsync(host, watch: false, config: """
            budget = "12s"
            [defaults]
            stop = ["acpi 2m", "destroy"]
            """);
        host.WriteFile("/etc/systemd/system/sundown.service.d/short-timeout.conf", "[Service]\nTimeoutStopSec=8s\n");
        await host.BootAsync();
        var timeout = await StopTimeoutAsync(host);
        Assert.Equal(TimeSpan.FromSeconds(8), timeout);
        var guests = await host.UpAsync("quick\tdelay=1", "glacial\tdelay=40");

        await host.PowerOffAsync();

        var stop = LastRun(host, RunKind.Stop);
        Assert.NotNull(stop.FinishedAt);
        Assert.Equal(GuestOutcome.Shutdown, stop.Guests.Single(g => g.Name == "quick").Outcome);
        Assert.Equal(GuestOutcome.Destroyed, stop.Guests.Single(g => g.Name == "glacial").Outcome);
        Assert.Equal(["acpi", "destroy"], Actions(stop, guests["glacial"]));
        // Forced off at its deadline: the budget less the time a destroy needs, not at the ladder's 2 minutes.
        var destroy = stop.Steps.Single(s => s.Uuid == guests["glacial"].Uuid && s.Action == "destroy");
        Assert.InRange((destroy.StartedAt - stop.StartedAt).TotalSeconds, 9, 12);
        Assert.True(stop.FinishedAt!.Value - stop.StartedAt < TimeSpan.FromSeconds(14), $"the stop took {stop.FinishedAt - stop.StartedAt}");
        string glacialLog = await File.ReadAllTextAsync(guests["glacial"].SerialLog);
        Assert.Contains("guest: power button", glacialLog);
        Assert.DoesNotContain("guest: powering off", glacialLog);
        Assert.Equal(GuestFate.ForcedOff, GuestFates.Read(host.QemuLog("glacial"), out _));

        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        Assert.Empty(journal.LinesWith("sundown.service: Stopping timed out"));
        var unitStop = journal.StopDuration("sundown.service");
        Assert.True(unitStop > TimeSpan.FromSeconds(9), $"sundown.service stopped after {unitStop}: the stop did not outlive its 8 s TimeoutStopSec");
    }

    /// <summary>
    /// The control of the test above: the same drop-in (TimeoutStopSec=8s) without the notifications
    /// (NotifyAccess=none) and a 15 s budget: systemd does kill the stop at 8 s, which shows that the
    /// extension is what the other test sees.
    /// </summary>
    [Fact(Timeout = 600_000)]
    public async Task Without_EXTEND_TIMEOUT_USEC_systemd_kills_a_stop_that_outlives_TimeoutStopSec()
    {
        await WholeHost.RequireAsync();
        await using var host = await WholeHost.CreateAsync();
        await InstallSundownAsync(host, watch: false, config: """
            budget = "15s"
            [defaults]
            stop = ["acpi 2m", "destroy"]
            """);
        host.WriteFile("/etc/systemd/system/sundown.service.d/short-timeout.conf", "[Service]\nTimeoutStopSec=8s\nNotifyAccess=none\n");
        await host.BootAsync();
        Assert.Equal(TimeSpan.FromSeconds(8), await StopTimeoutAsync(host));
        await host.UpAsync("glacial\tdelay=40");

        await host.PowerOffAsync();

        // Killed at 8 s, before its deadline: the guest Sundown would have forced off at 14 s is
        // killed by the host's shutdown instead.
        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        var stop = LastRun(host, RunKind.Stop);
        Assert.NotEmpty(journal.LinesWith("sundown.service: Stopping timed out"));
        Assert.NotEqual(GuestOutcome.Destroyed, stop.Guests.Single().Outcome);
        Assert.Equal(GuestFate.KilledByHost, GuestFates.Read(host.QemuLog("glacial"), out _));
    }

    /// <summary>
    /// The peer on Debian 13, the release that enables libvirt-guests by default (its table for
    /// Debian 12, where it behaves the same, is in bench/RESULTS.md).
    /// </summary>
    [Fact(Timeout = 600_000)]
    public async Task Libvirt_guests_on_the_same_host_leaves_the_deaf_and_the_paused_guest_to_be_killed_at_poweroff()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        // Debian's defaults, written out so that the table's label cannot drift, with the ACPI
        // timeout Sundown gets; its default of 300 s would wait five minutes for the deaf guest alone.
        host.WriteFile("/etc/default/libvirt-guests", $"ON_SHUTDOWN=shutdown\nPARALLEL_SHUTDOWN=0\nSHUTDOWN_TIMEOUT={AcpiTimeoutSeconds}\n");
        await host.BootAsync();
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "libvirt-guests.service"])).Output.Trim());
        var guests = await host.UpAsync(StandardFleet);
        await GuestDisks.WaitForRecordsAsync(guests, paused: Paused);
        var synced = GuestDisks.LastSynced(guests);

        var powerOff = await host.PowerOffAsync();
        var disks = await GuestDisks.CheckAsync(host, guests, Names, synced);

        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        Assert.NotEmpty(journal.LinesWith("libvirt-guests.sh["));
        // The other side of Sundown's test's "nothing left to kill": systemd stopping the scopes
        // of the guests still running.
        Assert.Equal(2, journal.LinesWith("Stopping machine-qemu").Count());
        var unitStop = journal.StopDuration("libvirt-guests.service");
        var fates = GuestFates.AtPowerOff(host, journal, Names);
        // The guests that honour ACPI within the timeout are shut down one after another; the deaf
        // one is given up on and the paused one skipped ("domain is not running"), and both die when
        // systemd stops their machine scopes. README's comparison and bench/RESULTS.md say so.
        // libvirt-guests.service (libvirt 11.3) is not ordered after virtlogd.service either, so
        // systemd stops virtlogd the instant libvirt-guests begins, and the end of every guest's
        // QEMU log is lost: the ones it shut down are known only to have gone off by themselves.
        var virtlogdStopping = journal.RequireSystemd("Stopping virtlogd.service");
        Assert.True(virtlogdStopping.Index < journal.RequireSystemd("Stopped libvirt-guests.service").Index, "virtlogd outlived libvirt-guests' stop");
        Assert.All(fates.Where(f => f.Guest is Fast or Slow or SavedOne), f => Assert.True(f.Fate is GuestFate.ShutDown or GuestFate.OffUnlogged, $"'{f.Guest}' was {f.Fate}"));
        Assert.All(fates.Where(f => f.Guest is Deaf or Paused), f => Assert.Equal(GuestFate.KilledByHost, f.Fate));
        foreach (string name in new[] { Fast, Slow, SavedOne })
        {
            Assert.Contains(journal.LinesWith("libvirt-guests.sh["), line => line.Contains($"Shutdown of guest {name} complete", StringComparison.Ordinal));
        }

        foreach (var disk in disks.Where(d => d.Guest is Fast or Slow or SavedOne))
        {
            GuestDisks.AssertSafe(disk);
        }

        var record = new ShutdownRecord("libvirt-guests", powerOff, unitStop, fates, host.Release);
        record.Write();
        new DataSafetyRecord(record, disks).Write();
    }

    /// <summary>
    /// The README's set-up, inside the host before it boots: the package installed with apt (which
    /// enables sundown.service and sundown-watch.service), the config written over its conffile.
    /// libvirt-guests is disabled here, so that each of these tests sees Sundown alone; left
    /// enabled beside it, it has a test of its own (<see cref="PackageTests"/>).
    /// </summary>
    /// <param name="watch">False: sundown-watch.service disabled, so that sundown.service's own
    /// stop does everything at the poweroff, as on a host where watch does not run (the tests of
    /// the unit's stop itself: its budget, its timer, its faults).</param>
    internal static async Task InstallSundownAsync(WholeHost host, string config, bool watch)
    {
        await host.InstallPackageAsync();
        host.WriteFile("/etc/sundown/sundown.toml", config);
        await host.OfflineAsync("systemctl", "disable", "libvirt-guests.service");
        if (!watch)
        {
            await host.OfflineAsync("systemctl", "disable", "sundown-watch.service");
        }
    }

    /// <summary>sundown.service's TimeoutStopSec= as the booted host's systemd has it.</summary>
    internal static async Task<TimeSpan> StopTimeoutAsync(WholeHost host)
    {
        string value = (await host.CheckedRunAsync("systemctl", "show", "-p", "TimeoutStopUSec", "--value", "sundown.service")).Trim();
        // systemd's own format: "42s", "1min 30s".
        var total = TimeSpan.Zero;
        foreach (string part in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            (string number, int unit) = part.EndsWith("min", StringComparison.Ordinal) ? (part[..^3], 60) : part.EndsWith('s') ? (part[..^1], 1) : (part, 0);
            if (unit == 0 || !int.TryParse(number, out int count))
            {
                throw new Xunit.Sdk.XunitException($"TimeoutStopUSec={value}: not in minutes and seconds");
            }

            total += TimeSpan.FromSeconds(count * unit);
        }

        return total;
    }

    /// <summary>A guest's machine scope as systemd's lines name it: <c>machine-qemu\x2d4\x2ddeaf.scope</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"machine-qemu\S*?\.scope")]
    private static partial System.Text.RegularExpressions.Regex ScopeName();

    internal static RunRecord LastRun(WholeHost host, RunKind kind)
    {
        using var journal = Journal.Open(host.StateDirectory);
        return journal.LastRun(kind) ?? throw new Xunit.Sdk.XunitException($"the host's journal has no {kind} run");
    }

    internal static string[] Actions(RunRecord run, FleetScript.UpGuest guest) =>
        [.. run.Steps.Where(s => s.Uuid == guest.Uuid).Select(s => s.Action)];

    /// <summary>The guests of <see cref="StandardFleet"/>, in its order.</summary>
    internal static IEnumerable<string> Names => StandardFleet.Select(line => line.Split('\t')[0]);

    /// <summary>
    /// A guest's serial log holds what it printed from its power button to its power-off, in
    /// order, ending with the kernel's own last line.
    /// </summary>
    private static void AssertSerialLogUpToPowerOff(string guest, string log)
    {
        int button = log.LastIndexOf("guest: power button", StringComparison.Ordinal);
        int poweringOff = log.LastIndexOf("guest: powering off", StringComparison.Ordinal);
        int kernel = log.LastIndexOf(KernelPowerDown, StringComparison.Ordinal);
        Assert.True(button >= 0 && button < poweringOff && poweringOff < kernel,
            $"'{guest}': its serial log does not show the power button, then 'guest: powering off', then the kernel's '{KernelPowerDown}'; it ends:\n{log[Math.Max(0, log.Length - 800)..]}");
    }

    /// <summary>What Linux prints as it powers the machine off (kernel/reboot.c).</summary>
    private const string KernelPowerDown = "reboot: Power down";

    /// <summary>How often <paramref name="marker"/> occurs: kernel messages may share its line on the serial console.</summary>
    internal static int Count(string text, string marker)
    {
        int count = 0;
        for (int at = text.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    internal static async Task WaitForAsync(string path, Func<string, bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition(await File.ReadAllTextAsync(path)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failure} within 90 s; its serial log:\n{await File.ReadAllTextAsync(path)}");
            await Task.Delay(200);
        }
    }
}
