using Sundown.Engine.Journaling;
using Sundown.Testing;
using static Sundown.WholeHost.Tests.HostShutdownTests;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// The Debian package's life on a running Debian 13 host with guests up, as an operator lives it:
/// <c>apt install ./sundown_*.deb</c>, an upgrade to the next version, the next shutdown and
/// boot, <c>apt remove</c>, <c>apt purge</c>. No step of it may stop or start a guest. The
/// shutdown after the install is Sundown's, and each guest is stopped once and comes back once:
/// libvirt-guests, left enabled as Debian 13 ships it (the package never disables another
/// package's service) and set to ON_BOOT=start, is ordered to stop after Sundown, finds no guest
/// running, and has nothing to start at boot.
/// </summary>
/// <remarks>
/// The package installed first is this checkout's own .deb rebuilt with a lower version
/// (<see cref="PackageFile.WithVersionAsync"/>): there is no earlier release of the package to
/// upgrade from, and what an upgrade must keep — the unit enabled and running, the operator's
/// conffile, the guests — does not depend on what changed in between. The other whole-host tests
/// install the package offline (host.sh install), on both releases.
/// </remarks>
[Collection(WholeHost.Collection)]
public sealed class PackageTests
{
    private const string Edited = """
        # edited by the operator: an upgrade must keep this file as it is
        budget = "60s"
        [defaults]
        stop = ["acpi 10s", "destroy"]
        [[guest]]
        match = "saved*"
        stop = ["save", "destroy"]
        """;

    [Fact(Timeout = 900_000)]
    public async Task Apt_installs_upgrades_removes_and_purges_the_package_on_a_running_Debian_13_host_and_no_step_stops_or_starts_a_guest()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        string deb = PackageFile.Current();
        string version = await PackageFile.VersionAsync(deb);
        var scratch = Directory.CreateTempSubdirectory("sundown-package-");
        try
        {
            string previous = await PackageFile.WithVersionAsync(deb, "0.0.0~previous", scratch.FullName);
            await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
            host.WriteFile("/etc/default/libvirt-guests", "ON_BOOT=start\nON_SHUTDOWN=shutdown\nPARALLEL_SHUTDOWN=0\nSHUTDOWN_TIMEOUT=10\n");
            await host.BootAsync();
            Assert.Equal("active", await SystemctlAsync(host, "is-active", "libvirt-guests.service"));
            var guests = await host.UpAsync($"{Fast}\tdelay=1", $"{SavedOne}\tdelay=2");
            var ids = await DomainIdsAsync(host, guests.Keys);

            // apt install, on a running host: both units enabled and started (so that the next
            // shutdown is Sundown's, begun at logind's announcement), and no guest touched.
            await AptAsync(host, "install", await host.CopyIntoAsync(previous));
            Assert.Equal("0.0.0~previous", await InstalledVersionAsync(host));
            Assert.Equal("enabled", await SystemctlAsync(host, "is-enabled", "sundown.service"));
            Assert.Equal("active", await SystemctlAsync(host, "is-active", "sundown.service"));
            Assert.Equal("enabled", await SystemctlAsync(host, "is-enabled", "sundown-watch.service"));
            Assert.Equal("active", await SystemctlAsync(host, "is-active", "sundown-watch.service"));
            Assert.Null(LastRunOrNull(host, RunKind.Start)?.Guests.FirstOrDefault());
            // Brought nothing back because of the marker the postinst wrote, not only because there was nothing yet.
            Assert.Contains("Nothing restored: this boot's restore was done already", await host.CheckedRunAsync("journalctl", "-b", "-o", "cat", "-u", "sundown.service"), StringComparison.Ordinal);
            Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));
            await host.CheckedRunAsync("systemd-analyze", "verify", "/usr/lib/systemd/system/sundown.service", "/usr/lib/systemd/system/sundown-watch.service");
            Assert.Contains("sundown", await host.CheckedRunAsync("man", "-P", "cat", "8", "sundown"), StringComparison.Ordinal);
            Assert.Contains("budget", await host.CheckedRunAsync("man", "-P", "cat", "5", "sundown.toml"), StringComparison.Ordinal);
            Assert.Contains("plan", (await CompleteAsync(host, "sundown pl")).Split('\n'));
            Assert.Contains("--json", (await CompleteAsync(host, "sundown plan --js")).Split('\n'));

            // The operator's config, then the upgrade: the conffile kept, the unit neither stopped
            // nor restarted (the same invocation), the guests untouched.
            host.WriteFile("/etc/sundown/sundown.toml", Edited);
            string invocation = await SystemctlAsync(host, "show", "-p", "InvocationID", "--value", "sundown.service");
            await AptAsync(host, "install", await host.CopyIntoAsync(deb));
            Assert.Equal(version, await InstalledVersionAsync(host));
            Assert.Equal(Edited, await File.ReadAllTextAsync(host.InRoot("/etc/sundown/sundown.toml")));
            Assert.Equal(invocation, await SystemctlAsync(host, "show", "-p", "InvocationID", "--value", "sundown.service"));
            Assert.Equal("no", await SystemctlAsync(host, "show", "-p", "NeedDaemonReload", "--value", "sundown.service"));
            Assert.Equal("active", await SystemctlAsync(host, "is-active", "sundown.service"));
            Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));
            Assert.Equal(1, Count(await File.ReadAllTextAsync(guests[Fast].SerialLog), "guest: up"));
            Assert.Equal(0, Count(await File.ReadAllTextAsync(guests[Fast].SerialLog), "guest: power button"));

            // The next shutdown is the unit's the install started, with the upgraded binary and the
            // edited config; libvirt-guests, enabled beside it, finds nothing to do. sundown watch
            // stopped first: without it, sundown.service's stop does everything, as it always did.
            await host.CheckedRunAsync("systemctl", "stop", "sundown-watch.service");
            await host.PowerOffAsync();
            var stop = LastRun(host, RunKind.Stop);
            Assert.Equal(new Dictionary<string, GuestOutcome?>
            {
                [Fast] = GuestOutcome.Shutdown,
                [SavedOne] = GuestOutcome.Saved,
            }, stop.Guests.ToDictionary(g => g.Name, g => g.Outcome));
            var shutdown = new HostShutdownJournal(await host.LastBootJournalAsync());
            Assert.Empty(shutdown.LinesWith("logind announces the host's shutdown"));
            var script = shutdown.LinesWith("libvirt-guests.sh[").ToList();
            Assert.Contains(script, line => line.Contains("no running guests.", StringComparison.Ordinal));
            Assert.DoesNotContain(script, line => line.Contains("Shutting down guests", StringComparison.Ordinal) || line.Contains("Suspending guests", StringComparison.Ordinal));
            Assert.True(
                shutdown.RequireSystemd("Stopped sundown.service").Index < shutdown.RequireSystemd("Stopping libvirt-guests.service").Index,
                "libvirt-guests began to stop before Sundown's stop had ended");
            Assert.False(File.Exists(host.InRoot("/var/lib/libvirt/libvirt-guests")), "libvirt-guests recorded guests to start at boot");
            Assert.Equal(1, Count(await File.ReadAllTextAsync(guests[Fast].SerialLog), "guest: power button"));

            await host.BootAsync();
            var start = LastRun(host, RunKind.Start);
            Assert.Equal(new Dictionary<string, GuestOutcome?>
            {
                [Fast] = GuestOutcome.Started,
                [SavedOne] = GuestOutcome.Restored,
            }, start.Guests.ToDictionary(g => g.Name, g => g.Outcome));
            await WaitForAsync(guests[Fast].SerialLog, log => Count(log, "guest: up") == 2, $"'{Fast}' did not boot again");
            Assert.DoesNotContain("Resuming guest", await host.CheckedRunAsync("journalctl", "-b", "-o", "cat", "-u", "libvirt-guests.service"), StringComparison.Ordinal);

            // Restore is once per boot: the unit started again (its stop stops the guests) brings nothing back.
            await host.CheckedRunAsync("systemctl", "restart", "sundown.service");
            Assert.Equal("shut off", (await host.CheckedRunAsync("virsh", "domstate", guests[Fast].Uuid)).Trim());
            Assert.Equal(2, Count(await File.ReadAllTextAsync(guests[Fast].SerialLog), "guest: up"));
            Assert.Equal(1, Count(await File.ReadAllTextAsync(guests[SavedOne].SerialLog), "guest: up"));
            Assert.Equal(start.Id, LastRun(host, RunKind.Start).Id);
            foreach (var guest in guests.Values)
            {
                await host.CheckedRunAsync("virsh", "start", guest.Uuid);
            }

            ids = await DomainIdsAsync(host, guests.Keys);

            // apt remove: the binary and units gone, the conffile and the journal kept, no guest touched.
            string[] files = [.. (await host.CheckedRunAsync("dpkg", "-L", "sundown")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(path => File.Exists(host.InRoot(path)) && !Directory.Exists(host.InRoot(path)))];
            Assert.Contains("/usr/bin/sundown", files);
            await AptAsync(host, "remove", "sundown");
            Assert.False(File.Exists(host.InRoot("/usr/bin/sundown")), "remove left /usr/bin/sundown");
            Assert.False(File.Exists(host.InRoot("/usr/lib/systemd/system/sundown.service")), "remove left the unit");
            Assert.Equal(Edited, await File.ReadAllTextAsync(host.InRoot("/etc/sundown/sundown.toml")));
            Assert.True(File.Exists(Path.Combine(host.StateDirectory, Journal.FileName)), "remove deleted the journal");
            Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));

            // Installed again after the remove: the unit is loaded and running again, so the next
            // shutdown is covered, and still no guest is touched.
            await AptAsync(host, "install", await host.CopyIntoAsync(deb));
            Assert.Equal("active", await SystemctlAsync(host, "is-active", "sundown.service"));
            Assert.Equal("no", await SystemctlAsync(host, "show", "-p", "NeedDaemonReload", "--value", "sundown.service"));
            Assert.Equal(Edited, await File.ReadAllTextAsync(host.InRoot("/etc/sundown/sundown.toml")));
            Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));

            // apt purge (from installed: remove, then purge): nothing of the package left, the guests still untouched.
            await AptAsync(host, "purge", "sundown");
            Assert.NotEqual(0, (await host.RunAsync(["dpkg-query", "-W", "-f", "${Status}", "sundown"])).ExitCode);
            Assert.False(Directory.Exists(host.InRoot("/etc/sundown")), "purge left /etc/sundown");
            Assert.False(Directory.Exists(host.StateDirectory), "purge left /var/lib/sundown");
            Assert.DoesNotContain(files, path => File.Exists(host.InRoot(path)));
            Assert.Empty(Directory.EnumerateFileSystemEntries(host.InRoot("/etc/systemd/system"), "sundown*", SearchOption.AllDirectories));
            Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The install on a running Debian 12 host: its systemd 252 finds the package's units through
    /// /lib (merged /usr), which the postinst must take for the package's own before it starts one.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task Apt_install_on_a_running_Debian_12_host_enables_and_starts_the_unit_and_brings_nothing_back()
    {
        await WholeHost.RequireAsync(HostRelease.Bookworm);
        string deb = PackageFile.Current();
        await using var host = await WholeHost.CreateAsync(HostRelease.Bookworm);
        await host.BootAsync();
        var guests = await host.UpAsync($"{Fast}\tdelay=1");
        var ids = await DomainIdsAsync(host, guests.Keys);

        await AptAsync(host, "install", await host.CopyIntoAsync(deb));

        Assert.Equal("enabled", await SystemctlAsync(host, "is-enabled", "sundown.service"));
        Assert.Equal("active", await SystemctlAsync(host, "is-active", "sundown.service"));
        Assert.Contains("Nothing restored: this boot's restore was done already", await host.CheckedRunAsync("journalctl", "-b", "-o", "cat", "-u", "sundown.service"), StringComparison.Ordinal);
        await host.CheckedRunAsync("systemd-analyze", "verify", "/usr/lib/systemd/system/sundown.service", "/usr/lib/systemd/system/sundown-watch.service");
        Assert.Contains("sundown", await host.CheckedRunAsync("man", "-P", "cat", "8", "sundown"), StringComparison.Ordinal);
        Assert.Equal(ids, await DomainIdsAsync(host, guests.Keys));
    }

    private static async Task AptAsync(WholeHost host, string verb, string what)
    {
        // As an operator types it; DEBIAN_FRONTEND only because nobody is there to answer.
        var result = await host.RunAsync(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", verb, "-y", "-q", what]);
        Assert.True(result.ExitCode == 0, $"apt-get {verb} {what}: exit {result.ExitCode}\n{result.Output}\n{result.Error}");
    }

    private static async Task<string> InstalledVersionAsync(WholeHost host) =>
        await host.CheckedRunAsync("dpkg-query", "-W", "-f", "${Version}", "sundown");

    private static async Task<string> SystemctlAsync(WholeHost host, params string[] arguments) =>
        (await host.RunAsync(["systemctl", .. arguments])).Output.Trim();

    /// <summary>libvirt's ID of each running guest: a guest stopped or started again since gets a new one.</summary>
    private static async Task<string> DomainIdsAsync(WholeHost host, IEnumerable<string> names)
    {
        var ids = new List<string>();
        foreach (string name in names.Order(StringComparer.Ordinal))
        {
            ids.Add($"{name}={(await host.CheckedRunAsync("virsh", "domid", name)).Trim()}");
        }

        return string.Join(", ", ids);
    }

    /// <summary>What bash-completion offers for the last word of <paramref name="line"/>, as a login shell loads it.</summary>
    private static async Task<string> CompleteAsync(WholeHost host, string line)
    {
        // bash-completion loads a command's completion on first use; complete -p then names its function.
        const string Script = """
            . /usr/share/bash-completion/bash_completion
            read -r -a COMP_WORDS <<<"$1"
            [[ $1 == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$1 COMP_POINT=${#1}
            _comp_load sundown 2>/dev/null || __load_completion sundown
            function=$(complete -p sundown | sed -E 's/.* -F ([^ ]+) .*/\1/')
            "$function" sundown "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        return await host.CheckedRunAsync("bash", "-c", Script, "complete", line);
    }

    internal static RunRecord? LastRunOrNull(WholeHost host, RunKind kind)
    {
        if (!File.Exists(Path.Combine(host.StateDirectory, Journal.FileName)))
        {
            return null;
        }

        using var journal = Journal.Open(host.StateDirectory);
        return journal.LastRun(kind);
    }
}
