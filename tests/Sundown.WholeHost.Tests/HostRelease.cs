namespace Sundown.WholeHost.Tests;

/// <summary>
/// The Debian releases a whole host is built from (tests/wholehost/host.sh's RELEASE): the two
/// that operators run. Which tests run on which is said in tests/wholehost/README.md.
/// </summary>
internal static class HostRelease
{
    /// <summary>Debian 12: libvirt 9.0, QEMU 7.2, systemd 252. This machine's own release.</summary>
    internal const string Bookworm = "bookworm";

    /// <summary>Debian 13: libvirt 11.3 (monolithic libvirtd, its own auto-shutdown), QEMU 10.0, systemd 257.</summary>
    internal const string Trixie = "trixie";
}
