namespace Sundown.Core.Policy;

public static class OsFamilies
{
    // libosinfo ids are "http://VENDOR/DISTRO/VERSION"; these vendors make Linux distributions.
    private static readonly string[] s_linuxVendors =
    [
        "almalinux.org", "alpinelinux.org", "archlinux.org", "centos.org", "debian.org", "fedoraproject.org",
        "gentoo.org", "libosinfo.org/linux", "linuxmint.com", "mageia.org", "nixos.org", "opensuse.org",
        "oracle.com/ol", "redhat.com", "rockylinux.org", "slackware.com", "suse.com", "ubuntu.com", "voidlinux.org",
    ];

    public static OsFamily Of(string? osId)
    {
        if (osId is null)
        {
            return OsFamily.Other;
        }

        string rest = osId.Replace("https://", "", StringComparison.Ordinal).Replace("http://", "", StringComparison.Ordinal);
        if (rest.StartsWith("microsoft.com/win", StringComparison.Ordinal))
        {
            return OsFamily.Windows;
        }

        return s_linuxVendors.Any(vendor => rest.StartsWith(vendor, StringComparison.Ordinal)) ? OsFamily.Linux : OsFamily.Other;
    }

    public static OsFamily? FromName(string name) => name.ToLowerInvariant() switch
    {
        "linux" => OsFamily.Linux,
        "windows" => OsFamily.Windows,
        "other" => OsFamily.Other,
        _ => null,
    };
}
