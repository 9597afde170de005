using System.Collections.Immutable;
using Sundown.Core.Doctor;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>
/// What Debian 13's libvirt (11.3) brings: its own auto-shutdown, whose stop logind cuts short
/// after InhibitDelayMaxSec; guests marked autostart-once; libvirt-guests enabled by its package.
/// </summary>
public sealed class ChecksLibvirt11Tests
{
    private const string QemuConfPath = "/etc/libvirt/qemu.conf";
    private const string LogindConfPath = "/etc/systemd/logind.conf";
    private const string DropInPath = "/etc/systemd/logind.conf.d/50-delay.conf";

    private static HostFacts Libvirt11(string qemuConf, params FileText[] logind) =>
        Clean with { QemuConf = new FileText(QemuConfPath, qemuConf), LibvirtVersion = 11_003_000, LogindConfs = [.. logind] };

    private static Finding? CutShort(HostFacts facts, params Sundown.Core.Model.Guest[] guests) =>
        Checks.Run(facts, [.. guests.Select(g => Entry(g))], TestConfig).SingleOrDefault(f => f.Code == FindingCodes.LibvirtAutoShutdownCutShort);

    [Fact]
    public void A_wait_longer_than_loginds_default_delay_is_cut_short()
    {
        var facts = Libvirt11(
            "auto_shutdown_try_shutdown = \"all\"\nauto_shutdown_poweroff = \"all\"\nauto_shutdown_wait = 10\n",
            new FileText(LogindConfPath, "[Login]\n#InhibitDelayMaxSec=5\n"));

        var finding = CutShort(facts);

        Assert.NotNull(finding);
        Assert.Equal((Severity.Error, FindingSubject.Machine), (finding.Severity, finding.Subject));
        Assert.Contains("auto_shutdown_wait = 10s (/etc/libvirt/qemu.conf:3)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("InhibitDelayMaxSec = 5s (logind's default)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("its wait and its poweroff step never finish", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("killed by systemd", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("auto_shutdown_poweroff to \"none\"", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("InhibitDelayMaxSec=15", finding.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto_shutdown_wait = 0\n", "0 means 30s")]
    [InlineData("", "30s (its default)")]
    public void A_wait_of_0_or_none_is_libvirts_30_seconds(string wait, string said)
    {
        var facts = Libvirt11("auto_shutdown_try_shutdown = \"all\"\n" + wait, new FileText(LogindConfPath, "[Login]\nInhibitDelayMaxSec=20\n"));

        var finding = CutShort(facts);

        Assert.NotNull(finding);
        Assert.Contains(said, finding.Problem, StringComparison.Ordinal);
        Assert.Contains("InhibitDelayMaxSec = 20s (/etc/systemd/logind.conf:2)", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("what it has not done by then never finishes", finding.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drop_in_overrides_logind_conf_and_a_long_enough_delay_is_no_problem()
    {
        const string Conf = "auto_shutdown_try_shutdown = \"all\"\nauto_shutdown_wait = 10\n";
        var shortInConf = new FileText(LogindConfPath, "[Login]\nInhibitDelayMaxSec=5\n");
        var longer = Libvirt11(Conf, shortInConf, new FileText(DropInPath, "[Login]\nInhibitDelayMaxSec=1min 30s\n"));
        var shorterAgain = Libvirt11(Conf, shortInConf, new FileText(DropInPath, "[Login]\nInhibitDelayMaxSec=1min\n"), new FileText("/etc/systemd/logind.conf.d/90-short.conf", "[Login]\nInhibitDelayMaxSec=8s\n"));

        Assert.Null(CutShort(longer));
        Assert.Contains("InhibitDelayMaxSec = 8s (/etc/systemd/logind.conf.d/90-short.conf:2)", CutShort(shorterAgain)?.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Saves_alone_are_cut_short_when_one_at_a_time_they_outlast_the_delay()
    {
        var facts = Libvirt11("auto_shutdown_try_save = \"persistent\"\n");

        var fourBig = CutShort(facts, Guest("a", memoryMiB: 4096), Guest("b", memoryMiB: 4096), Guest("c", memoryMiB: 4096), Guest("d", memoryMiB: 4096));
        var oneSmall = CutShort(facts, Guest("small", memoryMiB: 64));
        var onlyTransient = CutShort(facts, Guest("t", memoryMiB: 8192, persistent: false));

        Assert.NotNull(fourBig);
        Assert.Contains("it saves 4 running guests one at a time (16.0 GiB of memory", fourBig.Problem, StringComparison.Ordinal);
        Assert.Contains("what it has not done by then never finishes", fourBig.Problem, StringComparison.Ordinal);
        Assert.Null(oneSmall);
        Assert.Null(onlyTransient);
    }

    [Fact]
    public void With_saves_that_take_every_guest_there_is_no_wait_and_only_a_save_estimate_over_the_delay_is_a_warning()
    {
        // AutoShutdownPeerTests' second case: saves, shutdowns, poweroffs and a 10 s wait; every
        // guest persistent, so libvirt saves them all and asks none to shut down.
        var facts = Libvirt11("auto_shutdown_try_save = \"persistent\"\nauto_shutdown_try_shutdown = \"all\"\nauto_shutdown_poweroff = \"all\"\nauto_shutdown_wait = 10\n");
        // Four small ones at a measured 2 GB/s: 4 × (1 s + 0.05 s) fits in logind's 5 s.
        var small = new[] { "a", "b", "c", "d" }.Select(name => Guest(name, memoryMiB: 96)).ToArray();
        var big = new[] { "a", "b", "c", "d" }.Select(name => Guest(name, memoryMiB: 8192)).ToArray();
        var oneTransient = Guest("t", memoryMiB: 96, persistent: false);

        var measuredFast = CutShort(facts with { History = new JournalHistory(ImmutableDictionary<string, TimeSpan>.Empty, 2e9) }, small);
        var estimatedSlow = CutShort(facts, big);
        var withTransient = CutShort(facts with { History = new JournalHistory(ImmutableDictionary<string, TimeSpan>.Empty, 2e9) }, [.. small, oneTransient]);

        Assert.Null(measuredFast);
        Assert.NotNull(estimatedSlow);
        Assert.Equal(Severity.Warning, estimatedSlow.Severity);
        Assert.DoesNotContain("auto_shutdown_wait", estimatedSlow.Problem, StringComparison.Ordinal);
        Assert.NotNull(withTransient);
        Assert.Equal(Severity.Error, withTransient.Severity);
        Assert.Contains("auto_shutdown_wait = 10s", withTransient.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Guests_of_other_daemons_are_not_this_qemu_confs()
    {
        var facts = Libvirt11("auto_shutdown_try_save = \"persistent\"\n");

        var session = CutShort(facts, Guest("a", memoryMiB: 8192, uri: "qemu:///session"), Guest("b", memoryMiB: 8192, uri: "qemu+ssh://other/system"));

        Assert.Null(session);
    }

    [Fact]
    public void Libvirt_9_ignores_the_keys_so_nothing_is_cut_short()
    {
        var facts = Libvirt11("auto_shutdown_try_shutdown = \"all\"\nauto_shutdown_wait = 60\n") with { LibvirtVersion = 9_000_000 };

        var findings = Checks.Run(facts, [], TestConfig);

        Assert.DoesNotContain(findings, f => f.Code == FindingCodes.LibvirtAutoShutdownCutShort);
        Assert.Contains(findings, f => f.Code == FindingCodes.QemuConfIgnoredKey);
    }

    [Fact]
    public void Auto_shutdown_off_or_an_infinite_delay_is_not_cut_short()
    {
        var off = Libvirt11("auto_shutdown_try_shutdown = \"none\"\nauto_shutdown_wait = 60\n");
        var infinite = Libvirt11("auto_shutdown_try_shutdown = \"all\"\n", new FileText(LogindConfPath, "[Login]\nInhibitDelayMaxSec=infinity\n"));

        Assert.Null(CutShort(off));
        Assert.Null(CutShort(infinite));
    }

    [Fact]
    public void A_guest_marked_autostart_once_is_found_unless_sundown_never_restores_it()
    {
        var marked = Guest("once") with { AutostartOnce = true };
        var unmarked = Guest("plain");

        var findings = Checks.Run(Clean, [Entry(marked), Entry(unmarked)], TestConfig);
        var neverRestored = Checks.Run(Clean, [Entry(marked, restore: Sundown.Core.Policy.RestoreRule.Never)], TestConfig);

        var finding = Assert.Single(findings, f => f.Code == FindingCodes.AutostartOnceAndRestore);
        Assert.Equal((Severity.Warning, "once"), (finding.Severity, finding.Subject.Name));
        Assert.Equal("virsh autostart --once --disable once, and leave libvirt's auto_shutdown_* settings \"none\" (with auto_shutdown_restore = 0) so that nothing marks it again", finding.Fix);
        Assert.DoesNotContain(neverRestored, f => f.Code == FindingCodes.AutostartOnceAndRestore);
    }

    [Theory]
    [InlineData(true, "Debian GNU/Linux 13 (trixie)", "made by its package when it was installed: Debian GNU/Linux 13 (trixie) enables it by default")]
    [InlineData(true, null, "made by its package when it was installed: this distribution enables it by default")]
    [InlineData(false, "Debian GNU/Linux 13 (trixie)", null)]
    public void Libvirt_guests_enabled_by_its_package_says_it_is_the_distributions_default(bool byPackage, string? os, string? said)
    {
        var facts = Clean with
        {
            LibvirtGuests = new LibvirtGuestsFacts(FileText.Absent("/etc/default/libvirt-guests"), null, "/etc/systemd/system/multi-user.target.wants/libvirt-guests.service", false) { EnabledByPackage = byPackage },
            OsName = os,
        };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig), f => f.Code == FindingCodes.LibvirtGuestsActive);

        if (said is null)
        {
            Assert.DoesNotContain("by default", finding.Problem, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(said, finding.Problem, StringComparison.Ordinal);
        }
    }
}
