using Sundown.Core.Config;
using Sundown.Core.Doctor;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>Each check on facts that have its problem, and on facts that do not.</summary>
public sealed class ChecksTests
{
    private static readonly (Guest, GuestPolicy)[] s_cleanGuests =
    [
        Entry(Guest("web")),
        Entry(Guest("win", os: "http://microsoft.com/win/11", agent: true), ["agent 1m", "acpi 3m", "destroy"]),
        Entry(Guest("cold", state: GuestState.Shutoff, autostart: true), restore: RestoreRule.Never),
    ];

    [Fact]
    public void A_clean_machine_and_clean_guests_have_no_findings()
    {
        var findings = Checks.Run(Clean, s_cleanGuests, TestConfig);

        Assert.Empty(findings);
        Assert.Null(Checks.Worst(findings));
    }

    [Fact]
    public void Doctor_finds_libvirt_guests_enabled_beside_sundown()
    {
        var facts = Clean with
        {
            LibvirtGuests = new LibvirtGuestsFacts(
                new FileText("/etc/default/libvirt-guests", "# settings\nON_BOOT=start\nON_SHUTDOWN=shutdown\nSHUTDOWN_TIMEOUT=300\n"),
                null,
                SystemdDir + "/multi-user.target.wants/libvirt-guests.service",
                false),
        };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig));

        Assert.Equal((Severity.Error, FindingCodes.LibvirtGuestsActive), (finding.Severity, finding.Code));
        Assert.Equal(FindingSubject.Machine, finding.Subject);
        Assert.Contains("multi-user.target.wants/libvirt-guests.service", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("ON_SHUTDOWN=shutdown, set in /etc/default/libvirt-guests:3", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("ON_BOOT=start", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("systemctl disable libvirt-guests.service", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("do not stop it", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Libvirt_guests_takes_its_defaults_from_its_script_and_is_a_warning_while_sundown_is_not_enabled()
    {
        var facts = Clean with
        {
            LibvirtGuests = new LibvirtGuestsFacts(
                new FileText("/etc/default/libvirt-guests", "#ON_SHUTDOWN=shutdown\n"),
                new FileText("/usr/lib/libvirt/libvirt-guests.sh", "URIS=\"default\"\nON_BOOT=\"ignore\"\nON_SHUTDOWN=\"shutdown\"\ncase \"$1\" in\n    shutdown)\n        ON_SHUTDOWN=\"shutdown\"\n        ;;\nesac\n"),
                SystemdDir + "/graphical.target.wants/libvirt-guests.service",
                false),
            SundownUnit = Unit(enabledBy: null),
        };

        var finding = Checks.Run(facts, [], TestConfig).Single(f => f.Code == FindingCodes.LibvirtGuestsActive);

        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains("ON_SHUTDOWN=shutdown, the default of /usr/lib/libvirt/libvirt-guests.sh", finding.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("ON_BOOT=start", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("sundown.service is not enabled", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_settings_or_script_libvirt_guests_suspends_as_its_manual_says()
    {
        var facts = Clean with { LibvirtGuests = new LibvirtGuestsFacts(FileText.Absent("/etc/default/libvirt-guests"), null, WantsLink, false) };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig));

        Assert.Contains("managed save", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("ON_BOOT=start, libvirt-guests' default", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_masked_or_disabled_libvirt_guests_is_not_a_problem()
    {
        var masked = Clean with { LibvirtGuests = new LibvirtGuestsFacts(FileText.Absent("/etc/default/libvirt-guests"), null, WantsLink, Masked: true) };
        var disabled = Clean with { LibvirtGuests = new LibvirtGuestsFacts(new FileText("/etc/default/libvirt-guests", "ON_SHUTDOWN=suspend\n"), null, null, false) };

        Assert.Empty(Checks.Run(masked, [], TestConfig));
        Assert.Empty(Checks.Run(disabled, [], TestConfig));
    }

    [Fact]
    public void Doctor_finds_libvirts_own_auto_shutdown_switched_on()
    {
        var facts = Clean with
        {
            QemuConf = new FileText("/etc/libvirt/qemu.conf", """
                # libvirt 11's own auto-shutdown
                auto_shutdown_try_save = "persistent"
                auto_shutdown_try_shutdown = "none"
                auto_shutdown_poweroff = "all"   # the rest
                """),
        };

        var findings = Checks.Run(facts, [], TestConfig);

        Assert.All(findings, f => Assert.Equal((Severity.Error, FindingCodes.LibvirtAutoShutdownActive), (f.Severity, f.Code)));
        Assert.Collection(
            findings.OrderBy(f => f.Problem, StringComparer.Ordinal),
            save => Assert.Contains("qemu.conf:2: auto_shutdown_try_save = \"persistent\": when the host shuts down, libvirt's daemon itself managed-saves every running persistent guest", save.Problem, StringComparison.Ordinal),
            poweroff => Assert.Contains("qemu.conf:4: auto_shutdown_poweroff = \"all\"", poweroff.Problem, StringComparison.Ordinal));
        Assert.All(findings, f => Assert.Contains("auto_shutdown_restore is on", f.Problem, StringComparison.Ordinal));
        Assert.Contains("= \"none\" in /etc/libvirt/qemu.conf", findings[0].Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_shutdown_set_to_none_or_restore_off_says_so()
    {
        var none = Clean with { QemuConf = new FileText("/etc/libvirt/qemu.conf", "auto_shutdown_try_save = \"none\"\nauto_shutdown_poweroff = \"none\"\n") };
        var noRestore = Clean with { QemuConf = new FileText("/etc/libvirt/qemu.conf", "auto_shutdown_restore = 0\nauto_shutdown_try_shutdown = \"all\"\nauto_shutdown_poweroff = \"all\"\n") };

        Assert.Empty(Checks.Run(none, [], TestConfig));
        Assert.All(Checks.Run(noRestore, [], TestConfig), f => Assert.DoesNotContain("auto_shutdown_restore", f.Problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Doctor_warns_that_libvirt_ignores_the_keys_guides_recommend()
    {
        var facts = Clean with { QemuConf = new FileText("/etc/libvirt/qemu.conf", "auto_destroy = 1\nauto_shutdown = \"shutdown\"\nshutdown_timeout = 300\nauto_shutdown_wait = 60\n") };

        var findings = Checks.Run(facts, [], TestConfig);

        Assert.Equal(3, findings.Length);
        Assert.All(findings, f => Assert.Equal((Severity.Warning, FindingCodes.QemuConfIgnoredKey), (f.Severity, f.Code)));
        Assert.All(findings, f => Assert.Contains("libvirt ignores this key", f.Problem, StringComparison.Ordinal));
        Assert.Equal(
            ["qemu.conf:1: auto_destroy", "qemu.conf:2: auto_shutdown", "qemu.conf:3: shutdown_timeout"],
            findings.Select(f => f.Problem.Split(" is not")[0].Replace("/etc/libvirt/", "", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_qemu_conf_that_cannot_be_read_is_noted_not_passed()
    {
        var unreadable = Clean with { QemuConf = new FileText("/etc/libvirt/qemu.conf", null, "Access to the path is denied.") };
        var malformed = Clean with { QemuConf = new FileText("/etc/libvirt/qemu.conf", "auto_shutdown_poweroff = \"all\"\nthis is not a setting\nauto_destroy = 1\n") };

        var note = Assert.Single(Checks.Run(unreadable, [], TestConfig));
        var findings = Checks.Run(malformed, [], TestConfig);

        Assert.Equal((Severity.Info, FindingCodes.NotChecked), (note.Severity, note.Code));
        Assert.Contains("run sundown doctor as root", note.Fix, StringComparison.Ordinal);
        // What came before the bad line is still judged.
        Assert.Equal([FindingCodes.LibvirtAutoShutdownActive, FindingCodes.NotChecked], findings.Select(f => f.Code));
        Assert.Contains("line 2", findings[1].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_warns_about_a_guest_without_acpi_whose_ladder_presses_the_button()
    {
        var deaf = Guest("deaf", acpi: false);
        var agentOnly = Guest("agent-only", acpi: false, agent: true);

        var findings = Checks.Run(Clean, [Entry(deaf, ["acpi 90s", "save"]), Entry(agentOnly, ["agent 1m"])], TestConfig);

        var finding = Assert.Single(findings);
        Assert.Equal((Severity.Warning, FindingCodes.NoAcpi, "deaf", deaf.Uuid), (finding.Severity, finding.Code, finding.Subject.Name, finding.Subject.Uuid));
        Assert.Contains("waits 1m30s for nothing, then it is saved", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("<features><acpi/></features>", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_warns_about_a_windows_guest_without_an_agent_channel()
    {
        var windows = Guest("win 10", os: "http://microsoft.com/win/10");
        var linux = Guest("linux", agent: false);

        var findings = Checks.Run(Clean, [Entry(windows, ["agent 1m", "acpi 3m"]), Entry(linux, ["agent 30s", "acpi 1m"])], TestConfig);

        var win = findings.Single(f => f.Subject.Name == "win 10");
        Assert.Equal((Severity.Warning, FindingCodes.WindowsWithoutAgent), (win.Severity, win.Code));
        Assert.Contains("http://microsoft.com/win/10", win.Problem, StringComparison.Ordinal);
        Assert.Contains("agent step fails at once", win.Problem, StringComparison.Ordinal);
        Assert.Contains("org.qemu.guest_agent.0", win.Fix, StringComparison.Ordinal);
        var other = findings.Single(f => f.Subject.Name == "linux");
        Assert.Equal((Severity.Info, FindingCodes.AgentWithoutChannel), (other.Severity, other.Code));
    }

    [Fact]
    public void Doctor_notes_a_guest_libvirt_autostarts_that_sundown_also_restores()
    {
        var both = Guest("both", autostart: true);
        var libvirtOnly = Guest("libvirt-only", autostart: true);

        var findings = Checks.Run(Clean, [Entry(both), Entry(libvirtOnly, restore: RestoreRule.Never)], TestConfig);

        var finding = Assert.Single(findings);
        Assert.Equal((Severity.Info, FindingCodes.AutostartAndRestore, "both"), (finding.Severity, finding.Code, finding.Subject.Name));
        Assert.Contains("virsh autostart --disable both", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_flags_transient_guests_and_warns_when_their_ladder_wants_a_save()
    {
        var findings = Checks.Run(Clean, [Entry(Guest("scratch", persistent: false)), Entry(Guest("kept?", persistent: false), ["save"])], TestConfig);

        Assert.Equal(
            [(Severity.Warning, FindingCodes.TransientCannotSave, "kept?"), (Severity.Info, FindingCodes.TransientGuest, "scratch")],
            findings.Select(f => (f.Severity, f.Code, f.Subject.Name)));
        Assert.Contains("virsh dumpxml 'kept?' > guest.xml", findings[0].Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3L * 1024, FindingCodes.SaveSpaceShort, Severity.Error)]
    [InlineData(4L * 1024 + 512, FindingCodes.SaveSpaceTight, Severity.Warning)]
    [InlineData(5L * 1024, null, null)]
    public void Doctor_compares_the_room_for_managed_saves_with_the_memory_to_save(long freeMiB, string? code, Severity? severity)
    {
        var facts = Clean with { SaveDirectories = [new SaveDirectory("qemu:///system", "/var/lib/libvirt/qemu/save", freeMiB * 1024 * 1024)] };
        (Guest, GuestPolicy)[] guests =
        [
            Entry(Guest("saved-a", memoryMiB: 2048), ["acpi 1m", "save"]),
            Entry(Guest("saved-b", memoryMiB: 2048), ["save"]),
            // Not counted: not saved, off, transient, or on another host.
            Entry(Guest("shut", memoryMiB: 8192)),
            Entry(Guest("off", memoryMiB: 8192, state: GuestState.Shutoff), ["save"]),
            Entry(Guest("transient", memoryMiB: 8192, persistent: false), ["save"]),
            Entry(Guest("remote", memoryMiB: 8192, uri: "qemu+ssh://other/system"), ["save"]),
        ];

        var findings = Checks.Run(facts, guests, TestConfig).Where(f => f.Code.StartsWith("save-space", StringComparison.Ordinal)).ToList();

        if (code is null)
        {
            Assert.Empty(findings);
            return;
        }

        var finding = Assert.Single(findings);
        Assert.Equal((severity, code, "qemu:///system"), (finding.Severity, finding.Code, finding.Subject.Uri));
        Assert.Equal("host", finding.Subject.Describe());
        Assert.Contains("2 running guests whose ladders save (saved-a, saved-b) need up to 4.0 GiB", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_warns_about_the_guests_that_past_shutdowns_say_the_budget_forces_off()
    {
        var config = TestConfig with { Budget = TimeSpan.FromSeconds(60) };
        (Guest, GuestPolicy)[] guests = [Entry(Guest("app"), ["acpi 2m"], order: 10), Entry(Guest("db"), ["acpi 2m"], order: 0)];
        var facts = Clean.WithHistory(("app", 50), ("db", 50));

        var findings = Checks.Run(facts with { SundownUnit = Unit(UnitText(timeout: "TimeoutStopSec=2min")) }, guests, config);

        Assert.Equal(
            [("app", FindingCodes.BudgetForcesOff), ("db", FindingCodes.BudgetForcesOff)],
            findings.Select(f => (f.Subject.Name, f.Code)));
        Assert.All(findings, f => Assert.Equal(Severity.Warning, f.Severity));
        Assert.Contains("its last shutdowns took up to 50s, but under the 1m budget it gets only 29s", findings[0].Problem, StringComparison.Ordinal);
        Assert.Contains("adds up to about 1m42s", findings[0].Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tier_that_finishes_early_gives_the_next_its_time_back()
    {
        // The worst-case plan gives db 29s; app typically takes 10s, so db really gets 49s.
        var config = TestConfig with { Budget = TimeSpan.FromSeconds(60) };
        (Guest, GuestPolicy)[] guests = [Entry(Guest("app"), ["acpi 2m"], order: 10), Entry(Guest("db"), ["acpi 2m"], order: 0)];
        var facts = Clean.WithHistory(("app", 10), ("db", 40)) with { SundownUnit = Unit(UnitText(timeout: "TimeoutStopSec=2min")) };

        Assert.Empty(Checks.Run(facts, guests, config));
    }

    [Fact]
    public void Doctor_warns_when_a_ladders_own_timeout_is_shorter_than_past_shutdowns()
    {
        var config = TestConfig with { Budget = null };
        (Guest, GuestPolicy)[] guests =
        [
            Entry(Guest("slow"), ["acpi 30s"]),
            // Saved when its timeout runs out: not forced off, so not a finding.
            Entry(Guest("saved"), ["acpi 30s", "save"]),
            Entry(Guest("no history"), ["acpi 5s"]),
        ];
        var facts = Clean.WithHistory(("slow", 45), ("saved", 45)) with { SundownUnit = Unit(UnitText(timeout: "TimeoutStopSec=infinity")) };

        var finding = Assert.Single(Checks.Run(facts, guests, config));

        Assert.Equal((Severity.Warning, FindingCodes.TimeoutBelowHistory, "slow"), (finding.Severity, finding.Code, finding.Subject.Name));
        Assert.Contains("took up to 45s, but its ladder (acpi 30s → destroy) waits only 30s", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("acpi 1m10s", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_finds_a_missing_a_masked_and_a_disabled_sundown_unit()
    {
        var missing = Clean with { SundownUnit = Unit() with { Unit = FileText.Absent(UnitPath) } };
        var masked = Clean with { SundownUnit = Unit(text: "", masked: true) };
        var disabled = Clean with { SundownUnit = Unit(enabledBy: null) };

        Assert.Equal((Severity.Warning, FindingCodes.SundownUnitMissing), Only(missing));
        Assert.Equal((Severity.Warning, FindingCodes.SundownUnitMasked), Only(masked));
        Assert.Equal((Severity.Warning, FindingCodes.SundownUnitNotEnabled), Only(disabled));
        Assert.Contains("sundown install --enable", Checks.Run(missing, [], TestConfig)[0].Fix, StringComparison.Ordinal);
        Assert.Contains("nothing stops the guests when the host powers off", Checks.Run(missing, [], TestConfig)[0].Problem, StringComparison.Ordinal);
        var besideLibvirtGuests = missing with { LibvirtGuests = new LibvirtGuestsFacts(FileText.Absent("/etc/default/libvirt-guests"), null, WantsLink, false) };
        Assert.Contains("libvirt-guests does", Checks.Run(besideLibvirtGuests, [], TestConfig).Single(f => f.Code == FindingCodes.SundownUnitMissing).Problem, StringComparison.Ordinal);

        static (Severity, string) Only(HostFacts facts)
        {
            var finding = Assert.Single(Checks.Run(facts, [], TestConfig));
            return (finding.Severity, finding.Code);
        }
    }

    [Fact]
    public void Doctor_finds_a_unit_generated_for_another_binary_or_a_missing_one()
    {
        var other = Clean with { SundownUnit = Unit() with { Binary = "/opt/sundown-0.1/sundown" } };
        var gone = Clean with { SundownUnit = Unit() with { Binary = "/opt/sundown-0.1/sundown", BinaryExists = false } };
        var handWritten = Clean with { SundownUnit = Unit() with { Binary = null } };

        var stale = Assert.Single(Checks.Run(other, [], TestConfig));
        var missing = Assert.Single(Checks.Run(gone, [], TestConfig));

        Assert.Equal((Severity.Error, FindingCodes.SundownUnitStale), (stale.Severity, stale.Code));
        Assert.Contains($"generated for /opt/sundown-0.1/sundown, but this sundown is {Binary}", stale.Problem, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Problem, StringComparison.Ordinal);
        Assert.Empty(Checks.Run(handWritten, [], TestConfig));
    }

    [Theory]
    [InlineData("TimeoutStopSec=2min", null, null, FindingCodes.SundownUnitTimeout)]
    [InlineData("TimeoutStopSec=5min", null, null, FindingCodes.SundownUnitTimeoutTight)]
    [InlineData("TimeoutStopSec=5min 5s", null, null, null)]
    [InlineData("TimeoutSec=300", null, null, FindingCodes.SundownUnitTimeoutTight)]
    [InlineData("TimeoutStopSec=0", null, null, null)]
    [InlineData("TimeoutStopSec=infinity", null, null, null)]
    [InlineData("", null, null, FindingCodes.SundownUnitTimeout)]
    [InlineData("", "[Manager]\nDefaultTimeoutStopSec=10min\n", null, null)]
    [InlineData("TimeoutStopSec=2min", null, "[Service]\nTimeoutStopSec=\nTimeoutStopSec=6min\n", null)]
    public void Doctor_compares_systemds_stop_timeout_with_the_budget(string unitLine, string? systemConf, string? dropIn, string? code)
    {
        var facts = Clean with
        {
            SundownUnit = Unit(
                UnitText(timeout: unitLine),
                dropIns: dropIn is null ? [] : [new FileText(UnitPath + ".d/timeout.conf", dropIn)],
                managerConfs: systemConf is null ? [] : [new FileText("/etc/systemd/system.conf", systemConf)]),
        };

        var findings = Checks.Run(facts, [], TestConfig);

        if (code is null)
        {
            Assert.Empty(findings);
        }
        else
        {
            Assert.Equal(code, Assert.Single(findings).Code);
        }
    }

    [Fact]
    public void Systemds_default_timeout_and_the_budget_its_stop_passes_are_the_ones_compared()
    {
        var byDefault = Clean with { SundownUnit = Unit(UnitText(timeout: "")) };
        var passed = Clean with { SundownUnit = Unit(UnitText(timeout: "TimeoutStopSec=2min", stop: "stop --budget 1m")) };

        var finding = Assert.Single(Checks.Run(byDefault, [], TestConfig));

        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains("after 1m30s (systemd's default, as the unit sets no TimeoutStopSec=), before the 5m budget (the config's)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("at least 5m5s", finding.Fix, StringComparison.Ordinal);
        // Within systemd's limit, but the budget written into the unit is not the config's.
        var fixedBudget = Assert.Single(Checks.Run(passed, [], TestConfig));
        Assert.Equal((Severity.Warning, FindingCodes.SundownUnitFixedBudget), (fixedBudget.Severity, fixedBudget.Code));
        Assert.Contains("passes --budget 1m, so the stop at shutdown uses that, not the config's budget (5m)", fixedBudget.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_static_unit_whose_stop_extends_the_timer_itself_is_not_held_to_the_budget_but_one_that_cannot_notify_is()
    {
        // As install and the package write it: TimeoutStopSec=120 under a 5 m budget, NotifyAccess=exec, no --budget.
        string text = UnitText(timeout: "NotifyAccess=exec\nTimeoutStopSec=120", stop: "stop --at-shutdown");
        var extending = Clean with { SundownUnit = Unit(text) };
        var silenced = Clean with { SundownUnit = Unit(text, dropIns: [new FileText(UnitPath + ".d/quiet.conf", "[Service]\nNotifyAccess=none\n")]) };

        Assert.Empty(Checks.Run(extending, [], TestConfig));
        Assert.Equal(FindingCodes.SundownUnitTimeout, Assert.Single(Checks.Run(silenced, [], TestConfig)).Code);
    }

    [Fact]
    public void Libvirt_guests_beside_a_sundown_unit_ordered_after_it_is_a_note_and_a_list_left_for_its_boot_a_warning()
    {
        // sundown.service After=libvirt-guests.service: Sundown's stop runs first, libvirt-guests finds nothing running.
        string text = UnitText().Replace("After=libvirtd.service", "After=libvirtd.service\nAfter=libvirt-guests.service", StringComparison.Ordinal);
        var guests = new LibvirtGuestsFacts(new FileText("/etc/default/libvirt-guests", "ON_BOOT=start\nON_SHUTDOWN=shutdown\n"), null, WantsLink, false);
        var besides = Clean with { SundownUnit = Unit(text), LibvirtGuests = guests };
        var withList = Clean with
        {
            SundownUnit = Unit(text),
            LibvirtGuests = guests with { SavedList = new FileText("/var/lib/libvirt/libvirt-guests", "qemu:///system uuid-a uuid-b\ntest:///default uuid-c\n") },
        };
        var emptyList = Clean with { SundownUnit = Unit(text), LibvirtGuests = guests with { SavedList = new FileText("/var/lib/libvirt/libvirt-guests", "") } };
        var orderingDropped = Clean with { SundownUnit = Unit(text, dropIns: [new FileText(UnitPath + ".d/order.conf", "[Unit]\nAfter=\nAfter=libvirtd.service\n")]), LibvirtGuests = guests };

        var note = Assert.Single(Checks.Run(besides, [], TestConfig));
        var warning = Assert.Single(Checks.Run(withList, [], TestConfig));

        Assert.Equal((Severity.Info, FindingCodes.LibvirtGuestsActive), (note.Severity, note.Code));
        Assert.Contains("Sundown's stop runs first, and libvirt-guests then finds no guest running", note.Problem, StringComparison.Ordinal);
        Assert.StartsWith("nothing needed", note.Fix, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Contains("/var/lib/libvirt/libvirt-guests still names 3 guest(s)", warning.Problem, StringComparison.Ordinal);
        Assert.Equal(Severity.Info, Assert.Single(Checks.Run(emptyList, [], TestConfig)).Severity);
        // The control: without the ordering both stop at once.
        Assert.Equal(Severity.Error, Assert.Single(Checks.Run(orderingDropped, [], TestConfig)).Severity);
    }

    [Fact]
    public void The_packages_unit_names_its_binary_and_a_stale_one_is_fixed_with_apt_not_install()
    {
        string text = "# Shipped with the sundown package; local changes go in a drop-in (`systemctl edit sundown.service`), since an upgrade replaces this file.\n" +
            "[Service]\nExecStart=-/usr/bin/sundown start --at-boot\nExecStop=/usr/bin/sundown stop --at-shutdown\n";
        var packaged = Clean with { SundownUnit = Unit(text) with { Unit = new FileText("/usr/lib/systemd/system/sundown.service", text), Binary = "/usr/bin/sundown", BinaryExists = false } };

        var stale = Checks.Run(packaged, [], TestConfig).Single(f => f.Code == FindingCodes.SundownUnitStale);

        Assert.Equal("/usr/bin/sundown", SundownUnitFile.Binary(text, "/usr/lib/systemd/system/sundown.service"));
        Assert.True(packaged.SundownUnit.Packaged);
        Assert.Contains("is the sundown package's unit and runs /usr/bin/sundown, which does not exist", stale.Problem, StringComparison.Ordinal);
        Assert.Contains("apt install --reinstall sundown", stale.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_budget_a_finite_stop_timeout_is_a_warning()
    {
        var facts = Clean with { SundownUnit = Unit(UnitText(timeout: "TimeoutStopSec=90")) };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig with { Budget = null }));

        Assert.Equal((Severity.Warning, FindingCodes.SundownUnitNoBudget), (finding.Severity, finding.Code));
        Assert.Contains("budget = \"1m25s\"", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void What_could_not_be_read_is_an_error_each()
    {
        var broken = Guest("broken");
        var facts = Clean with
        {
            ConfigProblem = "/etc/sundown/sundown.toml:3:10: budget: 'soon' is not a duration",
            Unreachable = [new HostProblem("qemu+ssh://gone/system", "cannot connect to 'qemu+ssh://gone/system': no route to host")],
            InvalidPolicies = [new GuestProblem(broken, "sundown metadata, order: 'x' is not a whole number")],
        };

        var findings = Checks.Run(facts, [Entry(broken)], TestConfig);

        Assert.Equal(
            [(FindingCodes.ConfigInvalid, "host"), (FindingCodes.HostUnreachable, "host"), (FindingCodes.PolicyMetadataInvalid, "broken")],
            findings.Select(f => (f.Code, f.Subject.Describe())));
        Assert.All(findings, f => Assert.Equal(Severity.Error, f.Severity));
    }

    [Fact]
    public void Findings_come_worst_first_then_machine_hosts_and_guests_by_name()
    {
        var facts = Clean with
        {
            SundownUnit = Unit(enabledBy: null),
            Unreachable = [new HostProblem("test:///x", "gone")],
        };
        (Guest, GuestPolicy)[] guests = [Entry(Guest("b", acpi: false)), Entry(Guest("a", acpi: false)), Entry(Guest("t", persistent: false))];

        var findings = Checks.Run(facts, guests, TestConfig);

        Assert.Equal(
            [FindingCodes.HostUnreachable, FindingCodes.SundownUnitNotEnabled, FindingCodes.NoAcpi, FindingCodes.NoAcpi, FindingCodes.TransientGuest],
            findings.Select(f => f.Code));
        Assert.Equal(["a", "b"], findings.Where(f => f.Code == FindingCodes.NoAcpi).Select(f => f.Subject.Name));
        Assert.Equal(Severity.Error, Checks.Worst(findings));
    }
}
