namespace Sundown.WholeHost.Tests;

/// <summary>
/// A power cut on a whole Debian 13 host with Network UPS Tools configured as Debian users do
/// (<see cref="HostNut"/>): the UPS goes on battery with 90 s left, falling in real time, LB at
/// 30 s; at 0 the host is killed (<see cref="PowerCut"/>). NUT acts only at low battery: upsmon
/// decides at LB (seen within its POLLFREQALERT), waits FINALDELAY, then runs
/// <c>shutdown -h +0</c>: about 20 s before the power ends, less than these guests need
/// (<see cref="Fleet"/>: a guest that needs 40 s to shut down, one that needs 25 s, one deaf to
/// ACPI). Sundown's contender follows the UPS and begins the guests' stop from the runtime its
/// plan needs; the peer, libvirt-guests at Debian's defaults, begins when NUT shuts the host down.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class PowerCutTests
{
    internal const string Quick = "quick";
    internal const string Slow25 = "slow-25";
    internal const string Slow40 = "slow-40";
    internal const string Deaf = "deaf";

    /// <summary>battery.runtime when the power goes, in seconds.</summary>
    private const int Runtime = 90;

    /// <summary>battery.runtime.low: LB from here on.</summary>
    private const int RuntimeLow = 30;

    /// <summary>Every contender's guests, in the table's order.</summary>
    internal static readonly string[] Fleet =
    [
        $"{Quick}\tdelay=3",
        $"{Slow25}\tdelay=25",
        $"{Slow40}\tdelay=40",
        $"{Deaf}\tignore_acpi",
    ];

    private static IReadOnlyList<string> Names => [.. Fleet.Select(line => line.Split('\t')[0])];

    /// <summary>
    /// Sundown as README says, with the UPS: ACPI for as long as the slowest guest needs, the deaf
    /// one saved after a short ACPI try; the margin keeps 15 s back for the host's own shutdown.
    /// </summary>
    private const string SundownConfig = $"""
        budget = "120s"
        [defaults]
        stop = ["acpi 50s", "destroy"]
        [[guest]]
        match = "{Deaf}"
        stop = ["acpi 5s", "save", "destroy"]
        [ups]
        name = "{HostNut.Address}"
        margin = "15s"
        """;

    [Fact(Timeout = 420_000)]
    public async Task Sundown_following_the_ups_has_every_guest_shut_down_or_saved_before_the_battery_is_empty()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        var nut = await HostNut.ConfigureAsync(host, Runtime, RuntimeLow);
        await HostShutdownTests.InstallSundownAsync(host, SundownConfig, watch: true);
        await host.BootAsync();
        await nut.WaitForStatusAsync("OL", TimeSpan.FromSeconds(60));
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "sundown.service"])).Output.Trim());
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "sundown-watch.service"])).Output.Trim());
        Assert.NotEqual("active", (await host.RunAsync(["systemctl", "is-active", "libvirt-guests.service"])).Output.Trim());
        await host.UpAsync(Fleet);

        var cut = await PowerCut.PlayAsync(host, nut, Runtime, RuntimeLow, Names);

        new PowerCutRecord("sundown", cut).Write();
        Assert.True(cut.Guests.All(g => g.Fate is GuestFate.ShutDown or GuestFate.Saved), $"not every guest was shut down or saved before the cut:\n{cut.Evidence}");
        Assert.Equal(GuestFate.Saved, cut.Guests.Single(g => g.Guest == Deaf).Fate);
        // NUT still did its part: the host was shut down at low battery, the guests already safe.
        Assert.True(cut.NutShutdownBefore is not null, $"upsmon never began the host's shutdown:\n{cut.Evidence}");
        Assert.All(cut.Guests, g => Assert.True(g.Before > cut.NutShutdownBefore, $"'{g.Guest}' went safe only after NUT began the host's shutdown:\n{cut.Evidence}"));
        // The watch, its stop done, ended cleanly when that shutdown stopped its unit.
        Assert.Empty(cut.Journal.LinesWith("sundown-watch.service: Failed"));
    }

    [Fact(Timeout = 420_000)]
    public async Task Nut_and_libvirt_guests_alone_lose_every_guest_that_needs_longer_than_the_low_battery_warning()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        var nut = await HostNut.ConfigureAsync(host, Runtime, RuntimeLow);
        // Debian's defaults, written out so that the table's label cannot drift.
        host.WriteFile("/etc/default/libvirt-guests", "ON_SHUTDOWN=shutdown\nPARALLEL_SHUTDOWN=0\nSHUTDOWN_TIMEOUT=300\n");
        await host.BootAsync();
        await nut.WaitForStatusAsync("OL", TimeSpan.FromSeconds(60));
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "libvirt-guests.service"])).Output.Trim());
        await host.UpAsync(Fleet);

        var cut = await PowerCut.PlayAsync(host, nut, Runtime, RuntimeLow, Names);

        new PowerCutRecord("NUT + libvirt-guests", cut).Write();
        // Only what is certain: upsmon began the shutdown at low battery, at most LB's 30 s before
        // the cut; no guest went safe before that (nothing asked them to); the slow guest needs
        // 40 s and the deaf one never listens, so neither can be safe. The rest is the measurement.
        Assert.True(cut.NutShutdownBefore is { } began && began <= TimeSpan.FromSeconds(RuntimeLow + 2), $"upsmon did not begin the host's shutdown at low battery:\n{cut.Evidence}");
        Assert.All(cut.Guests.Where(g => g.Before is not null), g => Assert.True(g.Before <= cut.NutShutdownBefore, $"'{g.Guest}' went off before NUT's shutdown began:\n{cut.Evidence}"));
        Assert.False(cut.Guests.Single(g => g.Guest == Slow40).Safe, $"the 40 s guest was safe:\n{cut.Evidence}");
        Assert.False(cut.Guests.Single(g => g.Guest == Deaf).Safe, $"the deaf guest was safe:\n{cut.Evidence}");
    }
}
