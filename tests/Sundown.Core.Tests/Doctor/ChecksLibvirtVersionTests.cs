using Sundown.Core.Doctor;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>libvirt's own auto-shutdown settings exist from libvirt 11.2 on; older versions ignore them.</summary>
public sealed class ChecksLibvirtVersionTests
{
    private static readonly FileText s_autoShutdownOn = new("/etc/libvirt/qemu.conf", "auto_shutdown_poweroff = \"all\"\n");

    [Theory]
    [InlineData(11_000_000UL, Severity.Warning, FindingCodes.QemuConfIgnoredKey)]
    [InlineData(11_002_000UL, Severity.Error, FindingCodes.LibvirtAutoShutdownActive)]
    [InlineData(9_000_000UL, Severity.Warning, FindingCodes.QemuConfIgnoredKey)]
    public void Auto_shutdown_keys_are_double_handling_from_libvirt_11_2_and_ignored_before(ulong version, Severity severity, string code)
    {
        var facts = Clean with { QemuConf = s_autoShutdownOn, LibvirtVersion = version };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig));

        Assert.Equal((severity, code), (finding.Severity, finding.Code));
    }

    [Fact]
    public void An_unknown_version_is_assumed_to_act_on_the_keys()
    {
        var facts = Clean with { QemuConf = s_autoShutdownOn };

        Assert.Equal(FindingCodes.LibvirtAutoShutdownActive, Assert.Single(Checks.Run(facts, [], TestConfig)).Code);
    }
}
