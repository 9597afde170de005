using Sundown.Core.Doctor;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>libvirt-hook-stops-guests: a libvirt hook script that stops guests too. Pure.</summary>
public sealed class ChecksLibvirtHooksTests
{
    [Theory]
    [InlineData("/etc/libvirt/hooks/daemon", "#!/bin/sh\nif [ \"$2\" = shutdown ]; then\n  for d in $(virsh list --name); do virsh shutdown \"$d\"; done\nfi\n", "virsh list --name); do virsh shutdown")]
    [InlineData("/etc/libvirt/hooks/qemu", "#!/bin/sh\n[ \"$2\" = stopped ] || exec /usr/bin/virsh managedsave \"$1\"\n", "virsh managedsave")]
    [InlineData("/etc/libvirt/hooks/qemu.d/50-guests", "#!/bin/sh\n/usr/lib/libvirt/libvirt-guests.sh stop\n", "libvirt-guests")]
    [InlineData("/etc/libvirt/hooks/daemon", "#!/usr/bin/python3\nfor d in conn.listAllDomains(): d.destroy()  # virDomainDestroy\n", "virDomainDestroy")]
    public void A_libvirt_hook_that_stops_guests_is_a_warning_with_its_fix(string path, string text, string quoted)
    {
        var facts = Clean with { LibvirtHooks = [new FileText(path, text)] };

        var finding = Assert.Single(Checks.Run(facts, [], TestConfig));

        Assert.Equal((Severity.Warning, FindingCodes.LibvirtHookStopsGuests), (finding.Severity, finding.Code));
        Assert.Contains(path, finding.Problem, StringComparison.Ordinal);
        Assert.Contains(quoted, finding.Problem, StringComparison.Ordinal);
        Assert.Contains("pre_stop/post_stop", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hook_that_stops_no_guest_or_says_so_only_in_a_comment_is_fine()
    {
        var facts = Clean with
        {
            LibvirtHooks =
            [
                new FileText("/etc/libvirt/hooks/qemu", "#!/bin/sh\n# we used to: virsh shutdown \"$1\"\n[ \"$2\" = prepare ] && ip link set tap0 up\nvirsh list\n"),
                new FileText("/etc/libvirt/hooks/daemon", null, "Permission denied"),
            ],
        };

        Assert.Empty(Checks.Run(facts, [], TestConfig));
    }
}
