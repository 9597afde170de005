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

    /// <summary>
    /// Its list of the guests it stopped (<c>/var/lib/libvirt/libvirt-guests</c>: a line
    /// <c>URI UUID…</c> per host), which its start at boot brings back with ON_BOOT=start and then
    /// removes. Absent once consumed, and never written while Sundown stops the guests first
    /// (libvirt-guests finds none running).
    /// </summary>
    public FileText? SavedList { get; init; }

    /// <summary>How many guests <see cref="SavedList"/> names.</summary>
    public int SavedGuests => SavedList?.Text is { } text
        ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(line => Math.Max(0, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1))
        : 0;
}
