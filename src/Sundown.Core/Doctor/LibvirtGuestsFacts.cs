namespace Sundown.Core.Doctor;

/// <summary>What the machine says about <c>libvirt-guests.service</c>, the peer that also stops guests at shutdown.</summary>
/// <param name="Defaults">Its settings file (<c>/etc/default/libvirt-guests</c>, or <c>/etc/sysconfig/…</c>).</param>
/// <param name="Script">The script it runs, whose first lines hold the defaults the settings file overrides (they differ between distributions).</param>
/// <param name="EnabledBy">The <c>*.wants/</c> link that enables it; null when nothing does.</param>
/// <param name="Masked">Masked in /etc: systemd will not run it even if enabled.</param>
public sealed record LibvirtGuestsFacts(FileText Defaults, FileText? Script, string? EnabledBy, bool Masked)
{
    public const string UnitName = "libvirt-guests.service";

    public bool Active => EnabledBy is not null && !Masked;

    /// <summary>
    /// Whether its package enabled it when it was installed (Debian's deb-systemd-helper keeps
    /// a record of each link it made under /var/lib/systemd/deb-systemd-helper-enabled/):
    /// the distribution's default, not the administrator's choice.
    /// </summary>
    public bool EnabledByPackage { get; init; }
}
