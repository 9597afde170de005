using System.Collections.Immutable;

namespace Sundown.Engine.Doctor;

/// <summary>
/// Where doctor reads the machine's files: under <c>/</c> on a host, under a test directory in
/// tests (<c>sundown doctor --root DIR</c>), so that every check can be tried without the real /etc.
/// </summary>
public sealed record DoctorPaths(string Root)
{
    public static DoctorPaths Host { get; } = new("/");

    /// <summary>libvirt-guests' settings on Debian and Ubuntu.</summary>
    public string EtcDefault => Under("etc/default/libvirt-guests");

    /// <summary>libvirt-guests' settings on Fedora, RHEL and SUSE.</summary>
    public string Sysconfig => Under("etc/sysconfig/libvirt-guests");

    /// <summary>The libvirt-guests script (Debian's, then upstream's place): its first lines hold the defaults.</summary>
    public ImmutableArray<string> LibvirtGuestsScripts => [Under("usr/lib/libvirt/libvirt-guests.sh"), Under("usr/libexec/libvirt-guests.sh")];

    /// <summary>libvirt-guests' list of the guests it stopped, which its start at boot brings back.</summary>
    public string LibvirtGuestsList => Under("var/lib/libvirt/libvirt-guests");

    /// <summary>The QEMU driver's config, read by libvirtd and virtqemud alike.</summary>
    public string QemuConf => Under("etc/libvirt/qemu.conf");

    /// <summary>Where units are installed, enabled (<c>*.wants/</c>) and masked by the administrator.</summary>
    public string SystemdDir => Under("etc/systemd/system");

    /// <summary>Where packages put units; a package may enable one there too.</summary>
    public ImmutableArray<string> VendorSystemdDirs => [Under("usr/lib/systemd/system"), Under("lib/systemd/system")];

    /// <summary>systemd's own settings, for DefaultTimeoutStopSec=.</summary>
    public string SystemConf => Under("etc/systemd/system.conf");

    /// <summary>logind's settings, for InhibitDelayMaxSec=.</summary>
    public string LogindConf => Under("etc/systemd/logind.conf");

    /// <summary>Where logind's drop-ins live, from the lowest priority to the highest (a file in a later one replaces one of the same name).</summary>
    public ImmutableArray<string> LogindDropInDirs => [Under("usr/lib/systemd/logind.conf.d"), Under("run/systemd/logind.conf.d"), Under("etc/systemd/logind.conf.d")];

    /// <summary>The distribution's name and version (os-release(5)).</summary>
    public string OsRelease => Under("etc/os-release");

    /// <summary>Debian's record of the links its packages made at install (deb-systemd-helper): each mirrors an enabling link.</summary>
    public string DebSystemdHelperEnabled => Under("var/lib/systemd/deb-systemd-helper-enabled");

    /// <summary>NUT's upsmon settings (Debian's nut-client; other distributions put them in /etc/ups, not read here).</summary>
    public string UpsmonConf => Under("etc/nut/upsmon.conf");

    /// <summary>Where the system QEMU driver writes managed-save images (not configurable in qemu.conf).</summary>
    public string SaveDir => Under("var/lib/libvirt/qemu/save");

    /// <summary>libvirt's hook scripts: daemon, qemu and the files of qemu.d/.</summary>
    public string LibvirtHooksDir => Under("etc/libvirt/hooks");

    private string Under(string relative) => Path.Combine(Root, relative);
}
