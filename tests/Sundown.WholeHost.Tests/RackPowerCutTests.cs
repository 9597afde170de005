using System.Globalization;
using System.Text.Json;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// A rack of three whole Debian 13 hosts on one UPS, on a private network of the test's own
/// (<see cref="RackNetwork"/>): the primary runs the UPS's upsd (dummy-ups) and upsmon as its
/// primary; two secondaries run upsmon as secondaries of it. Fleets of different speeds: the
/// slow secondary's slowest guest needs longer than <c>battery.runtime.low</c>, the primary has
/// a guest deaf to ACPI. The power cut (<see cref="RackPowerCut"/>): on battery with
/// <see cref="Runtime"/> s falling in real time, LB at <see cref="RuntimeLow"/> s, the power gone
/// at 0 or when the primary has powered off (NUT's killpower). Sundown's contender: every host
/// runs Sundown; the secondaries' watch holds a login on the UPS until its guests are safe, the
/// primary's may set FSD and knows what each secondary needs. The peer: the same rack with NUT
/// and libvirt-guests at Debian's defaults.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class RackPowerCutTests
{
    /// <summary>battery.runtime when the power goes, in seconds.</summary>
    private const int Runtime = 80;

    /// <summary>battery.runtime.low: LB from here on.</summary>
    private const int RuntimeLow = 20;

    /// <summary>The primary's HOSTSYNC: how long its upsmon waits for the secondaries' logins after FSD.</summary>
    private const int HostSync = 45;

    private const string Primary = "primary";
    private const string Fast = "fast";
    private const string Slow = "slow";

    /// <summary>Each host's guests: the primary first (host 1 on the network), then the secondaries.</summary>
    private static readonly (string Host, string[] Fleet)[] s_rack =
    [
        (Primary, ["p-quick\tdelay=3", "p-deaf\tignore_acpi"]),
        (Fast, ["f-quick\tdelay=3", "f-mid\tdelay=10"]),
        (Slow, ["s-slow\tdelay=30", "s-quick\tdelay=3"]),
    ];

    /// <summary>
    /// "0": the Sundown rack with the secondaries' logins left out (role left standalone, no
    /// user), its row recorded as "sundown, no login on the secondaries": the control that shows
    /// what the login does (bench/powercut.sh --no-login sets it; not a CI test).
    /// </summary>
    internal const string LoginVariable = "SUNDOWN_RACK_LOGIN";

    private static bool Logins => Environment.GetEnvironmentVariable(LoginVariable) != "0";

    private static string UpsAt(int host) => $"{HostNut.Ups}@{RackNetwork.Address(host)}:3493";

    /// <summary>Sundown on a secondary: its own plan, its own margin, a login on the UPS.</summary>
    private static string SecondaryConfig(string acpi) => $"""
        budget = "120s"
        [defaults]
        stop = ["acpi {acpi}", "destroy"]
        [ups]
        name = "{UpsAt(1)}"
        margin = "10s"
        {(Logins ? $"role = \"secondary\"\nuser = \"{HostNut.SundownUser}\"\npassword = \"{HostNut.SundownPassword}\"" : "")}
        """;

    /// <summary>Sundown on the primary: FSD allowed, each secondary's need as its own plan says it.</summary>
    private static string PrimaryConfig(double fastNeeds, double slowNeeds) => string.Create(CultureInfo.InvariantCulture, $"""
        budget = "120s"
        [defaults]
        stop = ["acpi 10s", "destroy"]
        [[guest]]
        match = "p-deaf"
        stop = ["acpi 5s", "save", "destroy"]
        [ups]
        name = "{HostNut.Ups}@localhost:3493"
        margin = "25s"
        role = "primary"
        user = "{HostNut.FsdUser}"
        password = "{HostNut.FsdPassword}"
        fsd = true
        [[ups.secondary]]
        host = "{Fast}"
        needs = "{Math.Ceiling(fastNeeds)}s"
        margin = "10s"
        [[ups.secondary]]
        host = "{Slow}"
        needs = "{Math.Ceiling(slowNeeds)}s"
        margin = "10s"
        """);

    [Fact(Timeout = 600_000)]
    public async Task Sundown_on_every_host_has_every_guest_of_the_rack_safe_before_the_cut_and_the_primary_off_last()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var network = await RackNetwork.CreateAsync(s_rack.Length);
        await using var rack = await Rack.CreateAsync(network, sundown: true);
        var nut = rack.Nut;
        // Each secondary's need, as its operator reads it off `sundown plan`: the primary's config.
        double fastNeeds = await WorstCaseAsync(rack.Hosts[1]);
        double slowNeeds = await WorstCaseAsync(rack.Hosts[2]);
        Assert.True(slowNeeds > RuntimeLow, $"the slow host's plan needs {slowNeeds} s, not more than battery.runtime.low");
        WriteSecret(rack.Hosts[0], PrimaryConfig(fastNeeds, slowNeeds));
        await rack.Hosts[0].CheckedRunAsync("systemctl", "restart", "sundown-watch.service");
        // doctor across the rack, on the primary: HOSTSYNC covers each secondary, the margins add up.
        var doctor = await rack.Hosts[0].RunAsync(["sundown", "doctor"]);
        Assert.DoesNotContain("rack-", doctor.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ups-role-mismatch", doctor.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ups-password-readable", doctor.Output, StringComparison.Ordinal);
        await WaitForLoginsAsync(rack, Logins ? 2 : 0);

        var cut = await RackPowerCut.PlayAsync(nut, rack.Members, Runtime, RuntimeLow);

        new RackPowerCutRecord(Logins ? "sundown" : "sundown, no login on the secondaries", cut).Write();
        if (!Logins)
        {
            // The control: without the logins the primary's upsmon stops waiting as soon as the
            // secondaries' upsmon log out, and powers the UPS off while the slow host still stops.
            Assert.True(cut.Hosts[2].OffBefore is null || cut.Hosts[2].OffBefore < cut.Hosts[0].OffBefore, $"without the logins the primary still went off after the slow host:\n{cut.Evidence}");
            return;
        }

        Assert.True(cut.Guests.All(g => g.Fate is GuestFate.ShutDown or GuestFate.Saved), $"not every guest of the rack was shut down or saved before the cut:\n{cut.Evidence}");
        Assert.Equal(GuestFate.Saved, cut.Guests.Single(g => g.Guest == "p-deaf").Fate);
        // The primary powered off last, and before the battery ended: it waited for the secondaries.
        var primaryOff = cut.Hosts[0].OffBefore;
        Assert.True(primaryOff is not null && cut.Runtime > 0, $"the primary did not power off before the battery ended:\n{cut.Evidence}");
        Assert.All(cut.Hosts.Skip(1), h => Assert.True(h.OffBefore > primaryOff, $"{h.Name} powered off after the primary:\n{cut.Evidence}"));
        Assert.NotEmpty(cut.Hosts[0].Journal.LinesWith("setting FSD on the UPS"));
        // What the primary waited for: the slow host's login, given up only once its guests were
        // off, and never HOSTSYNC's end.
        Assert.Empty(cut.Hosts[0].Journal.LinesWith("Host sync timer expired"));
        var loggedOut = await rack.Hosts[2].JournalTimeAsync("logged out of the UPS");
        var slowOff = cut.Cut - cut.Guests.Single(g => g.Guest == "s-slow").Before!.Value;
        Assert.True(loggedOut >= slowOff - TimeSpan.FromSeconds(0.5), $"the slow host's login was given up at {loggedOut:HH:mm:ss.fff}, before its 30 s guest was off at {slowOff:HH:mm:ss.fff}:\n{cut.Evidence}");
    }

    [Fact(Timeout = 600_000)]
    public async Task Nut_and_libvirt_guests_alone_lose_the_slow_hosts_guests()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var network = await RackNetwork.CreateAsync(s_rack.Length);
        await using var rack = await Rack.CreateAsync(network, sundown: false);

        var cut = await RackPowerCut.PlayAsync(rack.Nut, rack.Members, Runtime, RuntimeLow);

        new RackPowerCutRecord("NUT + libvirt-guests", cut).Write();
        // Only what is certain: nothing asks a guest to stop before LB, RuntimeLow s before the end;
        // the slow host's 30 s guest cannot be shut down in that, nor the deaf one at all.
        Assert.False(cut.Guests.Single(g => g.Guest == "s-slow").Safe, $"the slow host's 30 s guest was safe:\n{cut.Evidence}");
        Assert.False(cut.Guests.Single(g => g.Guest == "p-deaf").Safe, $"the deaf guest was safe:\n{cut.Evidence}");
        Assert.All(cut.Guests.Where(g => g.Before is not null), g => Assert.True(g.Before <= TimeSpan.FromSeconds(RuntimeLow + 1), $"'{g.Guest}' went off before low battery:\n{cut.Evidence}"));
    }

    private static void WriteSecret(WholeHost host, string config)
    {
        host.WriteFile("/etc/sundown/sundown.toml", config);
        KeepSecret(host);
    }

    /// <summary>Sundown's config holds [ups]'s password: root's alone to read (doctor's ups-password-readable).</summary>
    private static void KeepSecret(WholeHost host) =>
        File.SetUnixFileMode(host.InRoot("/etc/sundown/sundown.toml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

    private static async Task<double> WorstCaseAsync(WholeHost host)
    {
        string json = await host.CheckedRunAsync("sundown", "plan", "--json");
        using var plan = JsonDocument.Parse(json);
        return plan.RootElement.GetProperty("worstCaseSeconds").GetDouble();
    }

    /// <summary>Waits until <paramref name="sundownLogins"/> secondaries' sundown watch say they hold their login on the UPS.</summary>
    private static async Task WaitForLoginsAsync(Rack rack, int sundownLogins)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            // As an operator asks; upsd itself is on the rack's network, out of the test's reach.
            var status = await Task.WhenAll(rack.Hosts.Skip(1).Select(h => h.RunAsync(["sundown", "watch", "--status"])));
            last = string.Join("\n", status.Select(s => s.Output));
            if (status.Count(s => s.Output.Contains("UPS login:    held as", StringComparison.Ordinal)) == sundownLogins)
            {
                return;
            }

            await Task.Delay(1000);
        }

        throw new Xunit.Sdk.XunitException($"the secondaries' sundown watch did not both hold a login on the UPS:\n{last}");
    }

    /// <summary>The three hosts, set up and booted on the rack's network, each with its guests up.</summary>
    private sealed class Rack : IAsyncDisposable
    {
        private Rack(IReadOnlyList<WholeHost> hosts, HostNut nut)
        {
            Hosts = hosts;
            Nut = nut;
        }

        internal IReadOnlyList<WholeHost> Hosts { get; }

        internal HostNut Nut { get; }

        internal IReadOnlyList<RackPowerCut.Member> Members =>
            [.. s_rack.Select((r, i) => new RackPowerCut.Member(r.Host, Hosts[i], [.. r.Fleet.Select(line => line.Split('\t')[0])]))];

        internal static async Task<Rack> CreateAsync(RackNetwork network, bool sundown)
        {
            var hosts = new List<WholeHost>();
            try
            {
                foreach (var _ in s_rack)
                {
                    hosts.Add(await WholeHost.CreateAsync(HostRelease.Trixie));
                }

                var nut = await HostNut.ConfigurePrimaryAsync(hosts[0], Runtime, RuntimeLow, RackNetwork.Address(1), HostSync);
                await HostNut.ConfigureSecondaryAsync(hosts[1], RackNetwork.Address(1));
                await HostNut.ConfigureSecondaryAsync(hosts[2], RackNetwork.Address(1));
                if (sundown)
                {
                    // The primary's config is written once the secondaries' plans are known.
                    await HostShutdownTests.InstallSundownAsync(hosts[0], PrimaryConfig(60, 60), watch: true);
                    await HostShutdownTests.InstallSundownAsync(hosts[1], SecondaryConfig("15s"), watch: true);
                    await HostShutdownTests.InstallSundownAsync(hosts[2], SecondaryConfig("35s"), watch: true);
                    hosts.ForEach(KeepSecret);
                }
                else
                {
                    foreach (var host in hosts)
                    {
                        // Debian's defaults, written out so that the table's label cannot drift.
                        host.WriteFile("/etc/default/libvirt-guests", "ON_SHUTDOWN=shutdown\nPARALLEL_SHUTDOWN=0\nSHUTDOWN_TIMEOUT=300\n");
                    }
                }

                // The primary first: its upsd is what the secondaries' upsmon log in to. One host's
                // boot and guests at a time (TCG guests booted on busy cores crash early).
                for (int i = 0; i < hosts.Count; i++)
                {
                    await hosts[i].BootAsync(network.Namespace(i + 1));
                    if (i == 0)
                    {
                        await nut.WaitForStatusAsync("OL", TimeSpan.FromSeconds(60));
                    }

                    await hosts[i].UpAsync(s_rack[i].Fleet);
                }

                foreach (var host in hosts.Skip(1))
                {
                    Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "nut-monitor.service"])).Output.Trim());
                }

                return new Rack(hosts, nut);
            }
            catch
            {
                foreach (var host in hosts)
                {
                    await host.DisposeAsync();
                }

                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var host in Hosts)
            {
                await host.DisposeAsync();
            }
        }
    }
}
