using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Core.Ups;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// The UPS of <c>[ups]</c> and NUT's own shutdown: can the UPS be read, does the margin leave
    /// the stop any time, does upsmon shut the host down at all, and does it do so early enough
    /// for this host's guests while <c>sundown watch</c> does not begin their stop sooner.
    /// </summary>
    private static void Ups(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, SundownConfig config, List<Finding> findings)
    {
        var ups = facts.Ups;
        UpsmonConf? upsmon = null;
        if (ups.UpsmonConf.Text is { } text)
        {
            upsmon = UpsmonConf.Parse(text, ups.UpsmonConf.Path);
        }
        else if (ups.UpsmonConf.Unreadable is { } why)
        {
            findings.Add(NotChecked($"cannot read {ups.UpsmonConf.Path} ({why}): NUT's shutdown was not checked"));
        }

        if (upsmon is { ShutdownCmd: null } && upsmon.Powering is [var first, ..])
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.UpsmonNoShutdownCmd, FindingSubject.Machine,
                $"{upsmon.Path} monitors {first.System} (line {first.Line}) but sets no SHUTDOWNCMD: at low battery upsmon would not power the host off, and the battery runs out under a running host and its guests",
                "set SHUTDOWNCMD \"/sbin/shutdown -h +0\" in upsmon.conf (then the host's shutdown runs sundown.service's stop), and restart nut-monitor.service"));
        }

        if (config.Ups is not { } upsConfig)
        {
            return;
        }

        if (upsmon is not null)
        {
            Rack(upsConfig, upsmon, findings);
        }

        if (ups.PasswordReadableIn is { } file)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.UpsPasswordReadable, FindingSubject.Machine,
                $"{file} holds the password of [ups]'s user {upsConfig.Credentials} and every user of this machine may read it: with it anyone can log in to the UPS as that user{(upsConfig.SetsForcedShutdown ? ", and set FSD: power the whole rack off" : "")}",
                $"chmod 0640 {file} (root reads it; Debian's upsmon.conf is kept the same way)"));
        }

        // An unreachable upsd is said once, by ups-unreachable, not a second time as a refused login.
        if (ups.LoginError is { } refused && ups.ReadError is null)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.UpsLoginRefused, FindingSubject.Machine,
                $"[ups] role is \"secondary\" but its user {upsConfig.Credentials} cannot log in to the UPS {upsConfig.Name}: {refused}; sundown watch will not hold its login, so the primary's upsmon does not wait for this host's guests",
                "give [ups] user and password of a upsd.users user with upsmon secondary at the primary's upsd (its upsd.users), and restart sundown-watch.service"));
        }

        if (ups.Reading is not { } reading)
        {
            if (ups.ReadError is { } error)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.UpsUnreachable, FindingSubject.Machine,
                    $"the UPS {upsConfig.Name} of [ups] cannot be read: {error}; until it can, plan and stop use the configured budget ({(config.Budget is { } b ? Time(b) : "none: no overall deadline")}) even on battery{(ups.WatchEnabled ? ", and sundown watch cannot begin the guests' stop early" : "")}",
                    $"check that upsd runs and serves the UPS (upsc {upsConfig.Name}), or correct name in [ups]"));
            }

            return;
        }

        if (reading.Runtime is { } runtime && upsConfig.Margin >= runtime)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.UpsMarginExceedsRuntime, FindingSubject.Machine,
                $"the margin of [ups] ({Time(upsConfig.Margin)}) is at least the UPS's battery.runtime now ({Time(runtime)}, {reading.StatusText}): on battery every stop would get a budget of 0, and every guest would be destroyed at once",
                $"lower margin in [ups] to the time the host's own shutdown needs after the guests' (well under {Time(runtime)}), or check the UPS's battery (a runtime this short may mean a worn one)"));
        }

        if (reading.RuntimeLow is { } low && upsmon is { Powering: [var monitor, ..] })
        {
            LowBatteryTooLate(facts, guests, config, upsmon, monitor, low, findings);
        }
    }

    /// <summary>
    /// A rack on one UPS: [ups] role must be upsmon's own on this host (a secondary that does not
    /// say so holds no login, and the primary does not wait for its guests; a primary that says
    /// secondary would hold one and make its own upsmon wait out HOSTSYNC); on the primary, each
    /// secondary's guests must fit in HOSTSYNC, and the primary, which powers the UPS off last,
    /// must keep back more runtime than any secondary.
    /// </summary>
    private static void Rack(UpsConfig ups, UpsmonConf upsmon, List<Finding> findings)
    {
        string role = Roles.Name(ups.Role);
        // The MONITOR line of [ups]'s UPS: another UPS of this host's (a second power supply) says nothing of it.
        if (upsmon.Powering.FirstOrDefault(m => SameUps(m.System, ups.Name)) is { } monitor)
        {
            string upsmonRole = monitor.IsPrimary ? "primary" : "secondary";
            bool standaloneOk = ups.Role == UpsRole.Standalone && monitor.IsPrimary;
            if (!standaloneOk && upsmonRole != role)
            {
                // A role never set on a host that was fine before racks: a warning; one set wrong: an error.
                findings.Add(new Finding(
                    ups.Role == UpsRole.Standalone ? Severity.Warning : Severity.Error, FindingCodes.UpsRoleMismatch, FindingSubject.Machine,
                    monitor.IsPrimary
                        ? $"[ups] role is \"{role}\" but upsmon is the primary of {monitor.System} ({upsmon.Path}:{monitor.Line}): watch would hold a login on the UPS, and this host's own upsmon would wait HOSTSYNC for it before powering off"
                        : $"upsmon is a secondary of {monitor.System} ({upsmon.Path}:{monitor.Line}) but [ups] role is \"{role}\": watch holds no login on the UPS, so the primary's upsmon does not wait for this host's guests (it stops waiting the moment this host's upsmon logs out, as its shutdown begins)",
                    $"set role = \"{upsmonRole}\" in [ups]{(monitor.IsPrimary ? "" : ", with user and password of a upsd.users user with upsmon secondary")}"));
            }
        }

        if (ups.Role != UpsRole.Primary || ups.Secondaries.IsEmpty)
        {
            return;
        }

        var hostSync = upsmon.HostSyncSeconds;
        string hostSyncSource = upsmon.HostSync is { } set ? $"{upsmon.Path}:{set.Line}" : "upsmon's default";
        foreach (var secondary in ups.Secondaries.Where(s => s.Needs > hostSync))
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.RackHostSyncShort, FindingSubject.Machine,
                $"after it sets FSD, this host's upsmon waits HOSTSYNC {Time(hostSync)} ({hostSyncSource}) for the secondaries' logins, but {secondary.Host}'s guests need up to {Time(secondary.Needs)} ([[ups.secondary]] needs): the primary powers the UPS off while {secondary.Host}'s guests are still stopping",
                $"raise HOSTSYNC in {upsmon.Path} to at least {(int)Math.Ceiling(secondary.Needs.TotalSeconds)} (a few seconds more for that host's own shutdown) and restart nut-monitor.service"));
        }

        foreach (var secondary in ups.Secondaries.Where(s => s.Margin >= ups.Margin))
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.RackMargins, FindingSubject.Machine,
                $"the margins of the rack do not add up: this host, the primary, powers the UPS off after every secondary, yet it keeps back {Time(ups.Margin)} of runtime ([ups] margin) where {secondary.Host} keeps {Time(secondary.Margin)}: the primary would begin its own stop no earlier than the secondary whose shutdown it must outlast",
                $"raise margin in this host's [ups] above {Time(secondary.Margin)} (by FINALDELAY, {Time(upsmon.FinalDelaySeconds)}, and this host's own shutdown, to be safe), or lower {secondary.Host}'s"));
        }
    }

    /// <summary>
    /// A MONITOR line's UPS is [ups]'s: the same UPS and port at the same host, "localhost" and
    /// 127.0.0.1 being one (upsmon and Sundown may spell it either way).
    /// </summary>
    private static bool SameUps(string system, UpsName name)
    {
        if (UpsName.TryParse(system, out _) is not { } monitored)
        {
            return false;
        }

        static bool Loopback(string host) => host is "localhost" or "127.0.0.1" or "::1" or "[::1]";
        bool sameHost = string.Equals(monitored.Host, name.Host, StringComparison.OrdinalIgnoreCase) || (Loopback(monitored.Host) && Loopback(name.Host));
        return monitored.Ups == name.Ups && monitored.Port == name.Port && sameHost;
    }

    /// <summary>
    /// upsmon shuts the host down when the UPS reports low battery, that is with about
    /// battery.runtime.low left, and waits HOSTSYNC and FINALDELAY before SHUTDOWNCMD; the stop
    /// that shutdown runs keeps the margin of [ups] back for the host (its budget is the runtime
    /// less the margin): what remains is all the guests' stop gets, unless <c>sundown watch</c>
    /// begins it sooner.
    /// </summary>
    private static void LowBatteryTooLate(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, SundownConfig config, UpsmonConf upsmon, UpsmonMonitor monitor, TimeSpan low, List<Finding> findings)
    {
        var estimates = facts.History.SaveBytesPerSecond is { } speed ? new Estimates(speed) : Estimates.Default;
        var worstCase = Planner.Build(guests, null, config.Limits, estimates).WorstCaseEnd;
        var finalDelay = upsmon.FinalDelaySeconds;
        var hostSync = upsmon.HostSyncSeconds;
        var left = low - finalDelay - hostSync - config.Ups!.Margin;
        if (left >= worstCase)
        {
            return;
        }

        string delays = $"FINALDELAY {Time(finalDelay)}{Source(upsmon.FinalDelay)}, HOSTSYNC {Time(hostSync)}{Source(upsmon.HostSync)} and the margin of [ups] ({Time(config.Ups.Margin)})";
        string leftText = left > TimeSpan.Zero ? $"leaves the guests' stop about {Time(left)}" : "leaves the guests' stop no time at all";
        string problem = $"NUT shuts the host down at low battery ({monitor.System}, {upsmon.Path}:{monitor.Line}): battery.runtime.low {Time(low)} less {delays} {leftText}, but the plan needs up to {Time(worstCase)} (its worst case without a budget)";
        var watch = facts.Ups;
        if (watch.WatchEnabled)
        {
            findings.Add(new Finding(
                Severity.Info, FindingCodes.NutLowBatteryTooLate, FindingSubject.Machine,
                $"{problem}; {UpsFacts.WatchUnitName} is enabled ({watch.WatchEnabledBy}) and begins the guests' stop from the runtime early enough, so NUT's late shutdown finds them already safe",
                $"nothing to do while {UpsFacts.WatchUnitName} runs"));
            return;
        }

        findings.Add(new Finding(
            Severity.Error, FindingCodes.NutLowBatteryTooLate, FindingSubject.Machine,
            $"{problem}: on a long power cut the battery ends while guests are still being stopped, and {UpsFacts.WatchUnitName}, which would begin their stop early enough, is not enabled",
            $"sundown install --enable (it enables {UpsFacts.WatchUnitName}), or raise battery.runtime.low at the UPS to at least {Time(worstCase + finalDelay + hostSync + config.Ups.Margin)} (upsrw, or the driver's override.battery.runtime.low in ups.conf)"));

        static string Source(UpsmonSetting? set) => set is null ? " (upsmon's default)" : $" (line {set.Line})";
    }
}
