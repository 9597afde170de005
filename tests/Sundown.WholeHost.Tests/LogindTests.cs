using Sundown.Engine.Journaling;
using Sundown.Testing;
using static Sundown.WholeHost.Tests.HostShutdownTests;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// sundown watch following logind on a whole Debian 12 host, where it is most at risk (the older
/// systemd and libvirt): a shutdown requested and then cancelled, for real (its poweroff job
/// cannot start), and a poweroff while watch's system bus is a socket that never answers. The
/// poweroff with watch, and the join of the two stops, are in <see cref="HostShutdownTests"/>'
/// test on both releases.
/// </summary>
/// <remarks>
/// Not dbus stopped outright: libvirt 9.0's libvirtd exits when it loses the system bus, which
/// would test libvirt, not watch. The silent socket is watch's alone (its drop-in names it).
/// </remarks>
[Collection(WholeHost.Collection)]
public sealed class LogindTests
{
    private const string Web = "web";
    private const string Db = "db";

    [Fact(Timeout = 600_000)]
    public async Task A_cancelled_shutdown_brings_the_guests_back_and_with_a_system_bus_that_never_answers_the_units_stop_does_everything()
    {
        await WholeHost.RequireAsync();
        await using var host = await WholeHost.CreateAsync();
        await InstallSundownAsync(host, watch: true, config: """
            budget = "60s"
            [defaults]
            stop = ["acpi 10s", "destroy"]
            """);
        await host.BootAsync();
        var guests = await host.UpAsync($"{Web}\tdelay=1", $"{Db}\tdelay=3");
        await WaitForWatchAsync(host, "following logind on the system bus");

        // A PrepareForShutdown(true) that is not logind's (busctl's own connection, sent straight to
        // watch's): ignored, no guest touched. The system bus lets any local user send one.
        string watchName = (await host.CheckedRunAsync("sh", "-c", "busctl list --no-pager --no-legend | awk '$1 ~ /^:/ && $3 == \"sundown\" { print $1 }'")).Trim();
        Assert.Matches(@"^:\d+\.\d+$", watchName);
        await host.CheckedRunAsync("busctl", "emit", $"--destination={watchName}", "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForShutdown", "b", "true");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain("logind announces", await host.CheckedRunAsync("journalctl", "-b", "--no-pager", "-o", "cat", "-u", "sundown-watch.service"), StringComparison.Ordinal);
        Assert.Null(PackageTests.LastRunOrNull(host, RunKind.Stop));
        foreach (var guest in guests.Values)
        {
            Assert.Equal("running", (await host.CheckedRunAsync("virsh", "domstate", guest.Uuid)).Trim());
        }

        // A shutdown requested that does not happen: with systemd-poweroff.service masked for this
        // boot, logind announces it (PrepareForShutdown(true)), waits out libvirtd's delay lock,
        // then cannot start poweroff.target and says so (PrepareForShutdown(false)). The host stays up.
        await host.CheckedRunAsync("systemctl", "mask", "--runtime", "systemd-poweroff.service");
        await host.CheckedRunAsync("systemctl", "poweroff");
        await WaitForWatchAsync(host, "the guests' start after the cancelled shutdown ended with exit status 0");

        var stop = LastRun(host, RunKind.Stop);
        Assert.Equal(new Dictionary<string, GuestOutcome?> { [Web] = GuestOutcome.Shutdown, [Db] = GuestOutcome.Shutdown }, stop.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        var start = LastRun(host, RunKind.Start);
        Assert.True(start.Id > stop.Id);
        Assert.Equal(new Dictionary<string, GuestOutcome?> { [Web] = GuestOutcome.Started, [Db] = GuestOutcome.Started }, start.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        foreach (var guest in guests.Values)
        {
            Assert.Equal("running", (await host.CheckedRunAsync("virsh", "domstate", guest.Uuid)).Trim());
            await WaitForAsync(guest.SerialLog, log => Count(log, "guest: up") == 2, $"'{guest.Name}' did not boot again");
        }

        var cancelled = new HostShutdownJournal(await host.LastBootJournalAsync());
        Assert.NotEmpty(cancelled.LinesWith("logind says the host's shutdown was cancelled"));
        Assert.NotEmpty(cancelled.LinesWith("Unit systemd-poweroff.service is masked"));

        // Watch's system bus a socket that accepts and never answers (a sleep holds its listening
        // socket): watch gives up on it at its 5 s timeout and says so; the poweroff goes through
        // logind as ever, nobody hears its announcement, and sundown.service's stop, 5 s later,
        // does everything, as without watch.
        await host.CheckedRunAsync("systemctl", "unmask", "--runtime", "systemd-poweroff.service");
        host.WriteFile("/etc/systemd/system/silent-bus.socket", "[Socket]\nListenStream=/run/silent-bus.sock\n");
        host.WriteFile("/etc/systemd/system/silent-bus.service", "[Service]\nExecStart=/bin/sleep infinity\n");
        host.WriteFile("/etc/systemd/system/sundown-watch.service.d/silent-bus.conf", "[Service]\nEnvironment=DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/silent-bus.sock\n");
        await host.CheckedRunAsync("systemctl", "daemon-reload");
        await host.CheckedRunAsync("systemctl", "start", "silent-bus.socket");
        await host.CheckedRunAsync("systemctl", "restart", "sundown-watch.service");
        await WaitForWatchAsync(host, "cannot follow logind on the system bus (no answer within 5s)");
        // Its status says so too, once its loop has written it again (every 2 s).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Contains("logind:       not followed: the system bus cannot be reached (no answer within 5s)", await host.CheckedRunAsync("sundown", "watch", "--status"), StringComparison.Ordinal);
        await host.PowerOffAsync();

        var last = LastRun(host, RunKind.Stop);
        Assert.True(last.Id > start.Id);
        Assert.NotNull(last.FinishedAt);
        Assert.Equal(new Dictionary<string, GuestOutcome?> { [Web] = GuestOutcome.Shutdown, [Db] = GuestOutcome.Shutdown }, last.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        Assert.Single(journal.LinesWith("logind announces the host's shutdown"));
        Assert.Empty(journal.LinesWith("every guest is shut off already"));
        Assert.Equal(GuestFate.ShutDown, GuestFates.Read(host.QemuLog(Web), out _));
        Assert.Equal(GuestFate.ShutDown, GuestFates.Read(host.QemuLog(Db), out _));
    }

    /// <summary>Waits (at most 60 s) until sundown-watch.service has logged a line holding <paramref name="text"/>.</summary>
    private static async Task WaitForWatchAsync(WholeHost host, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            string log = await host.CheckedRunAsync("journalctl", "-b", "--no-pager", "-o", "cat", "-u", "sundown-watch.service");
            if (log.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"sundown watch did not say \"{text}\" within 60 s; it said:\n{log}");
            await Task.Delay(500);
        }
    }
}
