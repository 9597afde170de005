using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// Network UPS Tools inside whole hosts (Debian 13's nut-server and nut-client, in the trixie
/// image), configured as a Debian user does for a rack on one UPS: on the primary nut.conf
/// <c>MODE=netserver</c>, a dummy-ups UPS reading a .dev file, upsd, upsmon as its primary; on
/// each secondary <c>MODE=netclient</c> and upsmon as a secondary; Debian's SHUTDOWNCMD
/// everywhere. Debian's own units start it all at boot
/// (nut.target, which the package enables: nut-driver-enumerator makes nut-driver@UPS.service
/// from ups.conf, then nut-server and nut-monitor). The test plays the UPS from outside by
/// rewriting the .dev file in the host's root (libvirt-facts.md §8): atomically, every variable
/// each time, with an mtime a whole second later than the last.
/// </summary>
internal sealed class HostNut
{
    /// <summary>The UPS's name at upsd.</summary>
    internal const string Ups = "sundown";

    /// <summary>upsmon's FINALDELAY: from its decision to SHUTDOWNCMD.</summary>
    internal const int FinalDelaySeconds = 5;

    /// <summary>A secondary's HOSTSYNC: how long it waits for the primary on OB+LB without FSD (upsmon's default).</summary>
    internal const int HostSyncSeconds = 15;

    private const string DevPath = "/etc/nut/sundown.dev";

    private readonly WholeHost _host;
    private readonly int _nutGroup;
    private long _lastMtime;

    private HostNut(WholeHost host, int nutGroup)
    {
        _host = host;
        _nutGroup = nutGroup;
    }

    /// <summary>
    /// The primary of a rack (<see cref="RackPowerCutTests"/>): NUT's MODE=netserver, upsd on
    /// loopback and on the rack's network at <paramref name="address"/>, upsmon its primary with
    /// <paramref name="hostSync"/>; upsd.users holds its own upsmon, the secondaries' upsmon
    /// (<see cref="SecondaryUser"/>), Sundown's login on each secondary (<see cref="SundownUser"/>,
    /// upsmon secondary: LOGIN is a upsmon right) and the primary's Sundown (<see cref="FsdUser"/>,
    /// actions = FSD only: it never logs in, so it adds nothing to NUMLOGINS).
    /// </summary>
    internal static async Task<HostNut> ConfigurePrimaryAsync(WholeHost host, int runtime, int runtimeLow, string address, int hostSync)
    {
        var nut = new HostNut(host, GroupId(host, "nut"));
        nut.Write("/etc/nut/nut.conf", "MODE=netserver\n");
        nut.Write("/etc/nut/ups.conf", $"""
            [{Ups}]
              driver = dummy-ups
              port = {Path.GetFileName(DevPath)}
              desc = "The rack's UPS"

            """);
        nut.Write("/etc/nut/upsd.conf", $"LISTEN 127.0.0.1 3493\nLISTEN {address} 3493\n");
        nut.Write("/etc/nut/upsd.users", $"""
            [upsmon]
              password = powercut
              upsmon primary
            [{SecondaryUser}]
              password = {SecondaryPassword}
              upsmon secondary
            [{SundownUser}]
              password = {SundownPassword}
              upsmon secondary
            [{FsdUser}]
              password = {FsdPassword}
              actions = FSD

            """);
        nut.Write("/etc/nut/upsmon.conf", Upsmon($"{Ups}@localhost 1 upsmon powercut primary", hostSync));
        nut.WriteDev(OnLine(runtime, runtimeLow));
        await host.OfflineAsync("systemctl", "enable", "nut.target", "nut-driver-enumerator.service", "nut-driver-enumerator.path",
            "nut-driver.target", "nut-server.service", "nut-monitor.service");
        return nut;
    }

    /// <summary>
    /// A secondary of the rack: NUT's MODE=netclient, upsmon a secondary of the primary's upsd at
    /// <paramref name="primary"/>; no driver, no upsd of its own (masked: Debian enables them).
    /// </summary>
    internal static async Task ConfigureSecondaryAsync(WholeHost host, string primary)
    {
        var nut = new HostNut(host, GroupId(host, "nut"));
        nut.Write("/etc/nut/nut.conf", "MODE=netclient\n");
        nut.Write("/etc/nut/upsmon.conf", Upsmon($"{Ups}@{primary} 1 {SecondaryUser} {SecondaryPassword} secondary", HostSyncSeconds));
        await host.OfflineAsync("systemctl", "mask", "nut-server.service", "nut-driver-enumerator.service", "nut-driver-enumerator.path", "nut-driver.target");
        await host.OfflineAsync("systemctl", "enable", "nut.target", "nut-monitor.service");
    }

    /// <summary>The secondaries' upsmon at the primary's upsd.</summary>
    internal const string SecondaryUser = "upsmon-secondary";

    private const string SecondaryPassword = "rack";

    /// <summary>Sundown's user on each secondary ([ups] user): upsmon secondary, for its LOGIN.</summary>
    internal const string SundownUser = "sundown";

    internal const string SundownPassword = "watch";

    /// <summary>The primary's Sundown ([ups] user with fsd = true): may set FSD, nothing else.</summary>
    internal const string FsdUser = "sundown-fsd";

    internal const string FsdPassword = "rack-down";

    /// <summary>upsmon.conf as Debian users write it: Debian's SHUTDOWNCMD, 5 s polls on battery.</summary>
    private static string Upsmon(string monitor, int hostSync) => $"""
        MONITOR {monitor}
        MINSUPPLIES 1
        SHUTDOWNCMD "/sbin/shutdown -h +0"
        POLLFREQ 5
        POLLFREQALERT 5
        HOSTSYNC {hostSync}
        DEADTIME 15
        POWERDOWNFLAG "/etc/killpower"
        FINALDELAY {FinalDelaySeconds}

        """;

    /// <summary>The .dev file's variables of a UPS on line.</summary>
    internal static IReadOnlyList<(string Name, string Value)> OnLine(int runtime, int runtimeLow) =>
        Vars("OL", runtime, runtime, runtimeLow);

    /// <summary>The .dev file's variables of a UPS on battery with <paramref name="runtime"/> left of <paramref name="full"/>.</summary>
    internal static IReadOnlyList<(string Name, string Value)> OnBattery(int runtime, int full, int runtimeLow) =>
        Vars(runtime <= runtimeLow ? "OB LB" : "OB", runtime, full, runtimeLow);

    private static IReadOnlyList<(string Name, string Value)> Vars(string status, int runtime, int full, int runtimeLow) =>
    [
        ("ups.status", status),
        ("battery.runtime", runtime.ToString(CultureInfo.InvariantCulture)),
        ("battery.charge", (100 * runtime / full).ToString(CultureInfo.InvariantCulture)),
        ("battery.runtime.low", runtimeLow.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>
    /// Rewrites the .dev file with every variable: a new file moved over the old one (the driver
    /// never reads half of one), its mtime at least a whole second after the last one (dummy-ups
    /// compares whole seconds: a second write in the same second would be missed).
    /// </summary>
    internal void WriteDev(IReadOnlyList<(string Name, string Value)> vars)
    {
        string text = string.Concat(vars.Select(v => $"{v.Name}: {v.Value}\n"));
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long mtime = Math.Max(now, _lastMtime + 1);
        string full = _host.InRoot(DevPath);
        string temporary = full + ".new";
        WriteOwned(temporary, text);
        File.SetLastWriteTimeUtc(temporary, DateTimeOffset.FromUnixTimeSeconds(mtime).UtcDateTime);
        File.Move(temporary, full, overwrite: true);
        _lastMtime = mtime;
    }

    /// <summary>Waits until upsd inside the booted host serves <paramref name="status"/> for the UPS.</summary>
    internal async Task WaitForStatusAsync(string status, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var read = await _host.RunAsync(["upsc", $"{Ups}@localhost", "ups.status"]);
            // Its stderr says "Init SSL without certificate database" each time: the answer is on stdout.
            last = read.ExitCode == 0 ? read.Output.Trim() : read.Error.Trim();
            if (read.ExitCode == 0 && last == status)
            {
                return;
            }

            await Task.Delay(500);
        }

        var units = await _host.RunAsync(["systemctl", "--no-pager", "status", "nut-server.service", "nut-monitor.service", "nut-driver@sundown.service"]);
        throw new Xunit.Sdk.XunitException($"upsd in the host did not serve ups.status '{status}' within {timeout} (last: '{last}'):\n{units.Output}");
    }

    private void Write(string path, string text) => WriteOwned(_host.InRoot(path), text);

    /// <summary>root:nut 0640, as Debian ships NUT's files: the daemons run as nut.</summary>
    private void WriteOwned(string full, string text)
    {
        File.WriteAllText(full, text);
        File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        // The group as the host's own /etc/group numbers it, not this machine's.
        var chown = System.Diagnostics.Process.Start("chown", ["root:" + _nutGroup.ToString(CultureInfo.InvariantCulture), full]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    private static int GroupId(WholeHost host, string group)
    {
        foreach (string line in File.ReadAllLines(host.InRoot("/etc/group")))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group)
            {
                return int.Parse(fields[2], CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"the host has no group '{group}': is NUT in its image (tests/wholehost/host.sh)?");
    }
}
