using Sundown.Core.Config;
using Sundown.Core.Doctor;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>
/// The UPS and NUT checks: ups-unreachable, ups-margin-exceeds-runtime, nut-low-battery-too-late,
/// upsmon-no-shutdowncmd, and a rack's: ups-role-mismatch, rack-hostsync-short, rack-margins.
/// </summary>
public sealed class ChecksUpsTests
{
    private const string UpsmonPath = "/etc/nut/upsmon.conf";
    private const string WatchLink = SystemdDir + "/multi-user.target.wants/sundown-watch.service";
    private const string Upsmon = "MONITOR myups@localhost 1 monuser secret primary\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n";

    private static readonly SundownConfig s_config = TestConfig with
    {
        Ups = new UpsConfig(new UpsName("myups", "localhost", 3493), TimeSpan.FromSeconds(60), PowerReturn.Default),
    };

    /// <summary>Two tiers of guests whose default ladders (acpi 2m) need minutes: more than NUT's 2-minute low battery leaves.</summary>
    private static readonly (Guest, GuestPolicy)[] s_guests =
    [
        Entry(Guest("db"), order: 10),
        Entry(Guest("web")),
        Entry(Guest("win", os: "http://microsoft.com/win/11", agent: true), ["agent 1m", "acpi 3m", "destroy"]),
    ];

    private static TimeSpan WorstCase => Planner.Build(s_guests, null, s_config.Limits, Estimates.Default).WorstCaseEnd;

    private static UpsReading Reading(string status = "OL", double runtime = 1800, double? low = 120) =>
        new([.. status.Split(' ')], TimeSpan.FromSeconds(runtime), low is { } l ? TimeSpan.FromSeconds(l) : null, 100);

    private static HostFacts With(UpsReading? reading = null, string? error = null, string? upsmon = null, string? watch = null, string? unreadable = null) =>
        Clean with
        {
            Ups = new UpsFacts(reading, error, upsmon is null && unreadable is null ? FileText.Absent(UpsmonPath) : new FileText(UpsmonPath, upsmon, unreadable), watch),
        };

    [Fact]
    public void Without_ups_and_without_nut_the_checks_say_nothing()
    {
        Assert.Empty(Checks.Run(Clean, s_guests, TestConfig));
        Assert.Empty(Checks.Run(Clean with { Ups = UpsFacts.None }, [], TestConfig));
    }

    [Fact]
    public void A_ups_read_on_line_with_room_and_no_upsmon_has_no_findings()
    {
        var findings = Checks.Run(With(Reading()), s_guests, s_config);

        Assert.Empty(findings);
    }

    [Fact]
    public void A_ups_that_cannot_be_read_is_a_warning_that_says_why_and_that_the_configured_budget_holds()
    {
        var facts = With(error: "cannot connect to upsd at localhost:3493: Connection refused");

        var finding = Assert.Single(Checks.Run(facts, [], s_config));

        Assert.Equal((Severity.Warning, FindingCodes.UpsUnreachable, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.Contains("myups@localhost:3493", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("cannot connect to upsd at localhost:3493: Connection refused", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("use the configured budget (5m) even on battery", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("upsc myups@localhost:3493", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_ups_without_a_budget_says_there_is_no_deadline()
    {
        var finding = Checks.Run(With(error: "upsd at localhost:3493 did not answer in 3s"), [], s_config with { Budget = null })
            .Single(f => f.Code == FindingCodes.UpsUnreachable);

        Assert.Contains("no overall deadline", finding.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60.0)]
    [InlineData(45.0)]
    public void A_margin_at_least_the_runtime_is_an_error_every_guest_destroyed_at_once(double runtime)
    {
        var finding = Assert.Single(Checks.Run(With(Reading("OL", runtime)), [], s_config));

        Assert.Equal((Severity.Error, FindingCodes.UpsMarginExceedsRuntime), (finding.Severity, finding.Code));
        Assert.Contains("margin of [ups] (1m)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("budget of 0", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("destroyed at once", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_margin_below_the_runtime_is_fine()
    {
        Assert.Empty(Checks.Run(With(Reading("OB", 61)), [], s_config));
    }

    [Fact]
    public void Nuts_low_battery_too_late_for_the_plan_is_an_error_while_watch_is_not_enabled()
    {
        var facts = With(Reading(low: 120), upsmon: Upsmon + "FINALDELAY 10\n");

        var finding = Assert.Single(Checks.Run(facts, s_guests, s_config));

        Assert.True(WorstCase > TimeSpan.FromSeconds(95), $"the fixture's plan must outlast NUT's low battery ({WorstCase})");
        Assert.Equal((Severity.Error, FindingCodes.NutLowBatteryTooLate), (finding.Severity, finding.Code));
        Assert.Contains("battery.runtime.low 2m less FINALDELAY 10s (line 3), HOSTSYNC 15s (upsmon's default) and the margin of [ups] (1m) leaves the guests' stop about 35s", finding.Problem, StringComparison.Ordinal);
        Assert.Contains($"the plan needs up to {Durations.Format(TimeSpan.FromSeconds(Math.Ceiling(WorstCase.TotalSeconds)))}", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("/etc/nut/upsmon.conf:1", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("sundown-watch.service", finding.Problem, StringComparison.Ordinal);
        Assert.StartsWith("sundown install --enable", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("raise battery.runtime.low", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void With_watch_enabled_nuts_late_low_battery_is_only_a_note()
    {
        var facts = With(Reading(low: 120), upsmon: Upsmon, watch: WatchLink);

        var finding = Assert.Single(Checks.Run(facts, s_guests, s_config));

        Assert.Equal((Severity.Info, FindingCodes.NutLowBatteryTooLate), (finding.Severity, finding.Code));
        Assert.Contains($"is enabled ({WatchLink})", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_low_battery_that_leaves_the_plan_its_worst_case_has_no_finding()
    {
        // FINALDELAY 5 s and HOSTSYNC 15 s (upsmon's defaults), and the margin the stop keeps back.
        double low = Math.Ceiling(WorstCase.TotalSeconds) + 20 + s_config.Ups!.Margin.TotalSeconds;

        var findings = Checks.Run(With(Reading(low: low), upsmon: Upsmon), s_guests, s_config);

        Assert.Empty(findings);
    }

    [Fact]
    public void Without_upsmon_monitoring_a_ups_or_without_runtime_low_nuts_low_battery_is_not_judged()
    {
        var config = s_config;

        var noUpsmon = Checks.Run(With(Reading(low: 10)), s_guests, config);
        var monitoringOnly = Checks.Run(With(Reading(low: 10), upsmon: "MONITOR myups@localhost 0 u p secondary\n"), s_guests, config);
        var noLow = Checks.Run(With(Reading(low: null), upsmon: Upsmon), s_guests, config);

        Assert.Empty(noUpsmon);
        Assert.Empty(monitoringOnly);
        Assert.Empty(noLow);
    }

    [Theory]
    [InlineData("MONITOR myups@localhost 1 monuser secret primary\n")]
    [InlineData("MONITOR myups@localhost 1 monuser secret primary\n# SHUTDOWNCMD \"/sbin/shutdown -h +0\"\nshutdowncmd /sbin/poweroff\n")]
    public void Upsmon_monitoring_a_ups_without_shutdowncmd_is_a_warning(string upsmon)
    {
        var finding = Assert.Single(Checks.Run(With(upsmon: upsmon), [], TestConfig));

        Assert.Equal((Severity.Warning, FindingCodes.UpsmonNoShutdownCmd, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.Contains("/etc/nut/upsmon.conf monitors myups@localhost (line 1) but sets no SHUTDOWNCMD", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("SHUTDOWNCMD \"/sbin/shutdown -h +0\"", finding.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("# MONITOR myups@bigserver 1 upsmon mypass primary\nMINSUPPLIES 1\n")]
    [InlineData("MONITOR myups@localhost 0 monuser secret secondary\n")]
    [InlineData(Upsmon)]
    public void Upsmon_with_a_shutdowncmd_or_monitoring_nothing_that_powers_the_host_is_fine(string upsmon)
    {
        Assert.Empty(Checks.Run(With(upsmon: upsmon), [], TestConfig));
    }

    [Fact]
    public void An_unreadable_upsmon_conf_is_a_note_that_it_was_not_checked()
    {
        var finding = Assert.Single(Checks.Run(With(unreadable: "Permission denied"), [], TestConfig));

        Assert.Equal((Severity.Info, FindingCodes.NotChecked), (finding.Severity, finding.Code));
        Assert.Contains("cannot read /etc/nut/upsmon.conf (Permission denied)", finding.Problem, StringComparison.Ordinal);
    }

    /// <summary>upsmon.conf with its MONITOR on line 2 of the given type, and a SHUTDOWNCMD.</summary>
    private static string UpsmonAs(string type, string more = "") =>
        $"# the rack's UPS\nMONITOR myups@localhost 1 monuser secret {type}\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n{more}";

    /// <summary>On line, without battery.runtime.low: NUT's low battery is not judged, only the rack.</summary>
    private static UpsReading RackReading => Reading(low: null);

    private static SundownConfig Rack(UpsRole role, params RackHost[] secondaries) =>
        s_config with { Ups = s_config.Ups! with { Role = role, Secondaries = [.. secondaries] } };

    private static RackHost Secondary(string host, double needs, double margin = 30) =>
        new(host, TimeSpan.FromSeconds(needs), TimeSpan.FromSeconds(margin));

    [Theory]
    [InlineData(UpsRole.Standalone, "primary")]
    [InlineData(UpsRole.Standalone, "master")]
    [InlineData(UpsRole.Primary, "primary")]
    [InlineData(UpsRole.Primary, "master")]
    [InlineData(UpsRole.Secondary, "secondary")]
    [InlineData(UpsRole.Secondary, "slave")]
    [InlineData(UpsRole.Standalone, "MASTER")]
    [InlineData(UpsRole.Primary, "Primary")]
    public void A_role_that_matches_upsmons_monitor_has_no_finding(UpsRole role, string type)
    {
        var findings = Checks.Run(With(RackReading, upsmon: UpsmonAs(type)), [], Rack(role));

        Assert.Empty(findings);
    }

    [Theory]
    [InlineData(UpsRole.Standalone)]
    [InlineData(UpsRole.Primary)]
    public void Upsmon_as_a_secondary_with_role_standalone_or_primary_is_an_error_that_no_login_is_held(UpsRole role)
    {
        string roleName = Roles.Name(role);

        var finding = Assert.Single(Checks.Run(With(RackReading, upsmon: UpsmonAs("secondary")), [], Rack(role)));

        // A role never set (standalone, as before racks) is a warning; a wrong one set, an error.
        Assert.Equal((role == UpsRole.Standalone ? Severity.Warning : Severity.Error, FindingCodes.UpsRoleMismatch, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.StartsWith($"upsmon is a secondary of myups@localhost (/etc/nut/upsmon.conf:2) but [ups] role is \"{roleName}\": watch holds no login on the UPS", finding.Problem, StringComparison.Ordinal);
        Assert.Equal("set role = \"secondary\" in [ups], with user and password of a upsd.users user with upsmon secondary", finding.Fix);
    }

    [Theory]
    [InlineData("MONITOR otherups@localhost 1 monuser secret secondary\n")]
    [InlineData("MONITOR myups@bigserver 1 monuser secret secondary\n")]
    [InlineData("MONITOR myups@localhost:3494 1 monuser secret secondary\n")]
    public void A_monitor_line_of_another_ups_says_nothing_of_the_role(string upsmon)
    {
        var findings = Checks.Run(With(RackReading, upsmon: upsmon + "SHUTDOWNCMD \"/sbin/shutdown -h +0\"\n"), [], Rack(UpsRole.Standalone));

        Assert.DoesNotContain(findings, f => f.Code == FindingCodes.UpsRoleMismatch);
    }

    [Fact]
    public void A_monitor_line_naming_the_ups_at_127_0_0_1_is_the_same_as_localhost()
    {
        var finding = Assert.Single(Checks.Run(With(RackReading, upsmon: "MONITOR myups@127.0.0.1:3493 1 monuser secret slave\nSHUTDOWNCMD x\n"), [], Rack(UpsRole.Primary)));

        Assert.Equal((Severity.Error, FindingCodes.UpsRoleMismatch), (finding.Severity, finding.Code));
    }

    [Fact]
    public void Upsmon_as_the_primary_with_role_secondary_is_an_error_that_upsmon_would_wait_for_its_own_host()
    {
        var finding = Assert.Single(Checks.Run(With(RackReading, upsmon: UpsmonAs("primary")), [], Rack(UpsRole.Secondary)));

        Assert.Equal((Severity.Error, FindingCodes.UpsRoleMismatch, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.StartsWith("[ups] role is \"secondary\" but upsmon is the primary of myups@localhost (/etc/nut/upsmon.conf:2)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("wait HOSTSYNC", finding.Problem, StringComparison.Ordinal);
        Assert.Equal("set role = \"primary\" in [ups]", finding.Fix);
    }

    [Fact]
    public void A_role_is_not_judged_against_a_monitor_that_does_not_power_the_host_or_without_upsmon_conf()
    {
        var monitoringOnly = Checks.Run(With(RackReading, upsmon: "MONITOR myups@localhost 0 monuser secret secondary\n"), [], Rack(UpsRole.Primary));
        var noUpsmon = Checks.Run(With(RackReading), [], Rack(UpsRole.Secondary));

        Assert.Empty(monitoringOnly);
        Assert.Empty(noUpsmon);
    }

    [Fact]
    public void A_secondary_that_needs_more_than_upsmons_default_hostsync_is_an_error_naming_it()
    {
        var config = Rack(UpsRole.Primary, Secondary("db1", 40), Secondary("web2", 15));

        var finding = Assert.Single(Checks.Run(With(RackReading, upsmon: UpsmonAs("primary")), [], config));

        Assert.Equal((Severity.Error, FindingCodes.RackHostSyncShort, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.Contains("waits HOSTSYNC 15s (upsmon's default)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("db1's guests need up to 40s ([[ups.secondary]] needs)", finding.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("web2", finding.Problem, StringComparison.Ordinal);
        Assert.Equal("raise HOSTSYNC in /etc/nut/upsmon.conf to at least 40 (a few seconds more for that host's own shutdown) and restart nut-monitor.service", finding.Fix);
    }

    [Fact]
    public void A_hostsync_set_too_short_names_its_line_and_every_secondary_it_leaves_out()
    {
        var config = Rack(UpsRole.Primary, Secondary("db1", 40), Secondary("web2", 31), Secondary("dns", 20));

        var findings = Checks.Run(With(RackReading, upsmon: UpsmonAs("primary", "HOSTSYNC 30\n")), [], config);

        Assert.All(findings, f => Assert.Equal((Severity.Error, FindingCodes.RackHostSyncShort), (f.Severity, f.Code)));
        Assert.Equal(2, findings.Length);
        Assert.Contains("HOSTSYNC 30s (/etc/nut/upsmon.conf:4)", findings[0].Problem, StringComparison.Ordinal);
        Assert.Contains("db1's guests need up to 40s", findings[0].Problem, StringComparison.Ordinal);
        Assert.Contains("web2's guests need up to 31s", findings[1].Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60.0)]
    [InlineData(40.0)]
    public void A_hostsync_that_covers_every_secondary_has_no_finding(double hostSync)
    {
        var config = Rack(UpsRole.Primary, Secondary("db1", 40), Secondary("web2", 15));

        var findings = Checks.Run(With(RackReading, upsmon: UpsmonAs("primary", $"HOSTSYNC {hostSync}\n")), [], config);

        Assert.Empty(findings);
    }

    [Theory]
    [InlineData(60.0, "1m")]
    [InlineData(90.0, "1m30s")]
    public void A_secondary_keeping_at_least_the_primarys_margin_is_an_error_naming_it(double margin, string said)
    {
        // The primary's margin is s_config's minute.
        var config = Rack(UpsRole.Primary, Secondary("db1", 10, margin), Secondary("web2", 10, 30));

        var finding = Assert.Single(Checks.Run(With(RackReading, upsmon: UpsmonAs("primary")), [], config));

        Assert.Equal((Severity.Error, FindingCodes.RackMargins, FindingSubject.Machine), (finding.Severity, finding.Code, finding.Subject));
        Assert.Contains($"it keeps back 1m of runtime ([ups] margin) where db1 keeps {said}", finding.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("web2", finding.Problem, StringComparison.Ordinal);
        Assert.Equal($"raise margin in this host's [ups] above {said} (by FINALDELAY, 5s, and this host's own shutdown, to be safe), or lower db1's", finding.Fix);
    }

    [Fact]
    public void A_rack_whose_secondaries_fit_in_hostsync_and_keep_less_margin_has_no_finding()
    {
        var config = Rack(UpsRole.Primary, Secondary("db1", 15, 59), Secondary("web2", 5, 0));

        Assert.Empty(Checks.Run(With(RackReading, upsmon: UpsmonAs("primary")), [], config));
    }

    [Fact]
    public void A_secondary_with_both_faults_gets_both_findings_and_a_role_mismatch_does_not_hide_them()
    {
        var config = Rack(UpsRole.Primary, Secondary("db1", 40, 60));

        var findings = Checks.Run(With(RackReading, upsmon: UpsmonAs("secondary")), [], config);

        // Errors of the machine alike, so in the order of their codes.
        Assert.Equal([FindingCodes.RackHostSyncShort, FindingCodes.RackMargins, FindingCodes.UpsRoleMismatch], findings.Select(f => f.Code));
        Assert.All(findings.Take(2), f => Assert.Contains("db1", f.Problem, StringComparison.Ordinal));
    }
}
