using System.Collections.Immutable;

namespace Sundown.Core.Doctor;

/// <summary>
/// Everything <c>sundown doctor</c> reads from the machine and its hosts, besides the guests:
/// gathered by the engine (files under a root directory, free space, the journal), judged
/// by <see cref="Checks"/>, which does no I/O of its own.
/// </summary>
/// <param name="QemuConf">libvirt's <c>/etc/libvirt/qemu.conf</c>.</param>
/// <param name="ConfigProblem">Why Sundown's config was refused (doctor then checked with the defaults); null when it loaded.</param>
/// <param name="Unreachable">Hosts that could not be opened or listed.</param>
/// <param name="InvalidPolicies">Guests whose own policy metadata is invalid.</param>
public sealed record HostFacts(
    FileText QemuConf,
    LibvirtGuestsFacts LibvirtGuests,
    SundownUnitFacts SundownUnit,
    ImmutableArray<SaveDirectory> SaveDirectories,
    JournalHistory History,
    string? ConfigProblem,
    ImmutableArray<HostProblem> Unreachable,
    ImmutableArray<GuestProblem> InvalidPolicies)
{
    /// <summary>
    /// The libvirt library's version (e.g. 9000000 for 9.0.0) when known. The daemon's own
    /// auto_shutdown_* settings arrived in libvirt 11.0: older ones ignore those keys.
    /// </summary>
    public ulong? LibvirtVersion { get; init; }

    /// <summary>libvirt 11.0.0, the first with the daemon's own auto-shutdown (auto_shutdown_try_save …).</summary>
    public const ulong AutoShutdownSince = 11_000_000;

    /// <summary>Whether this libvirt reads the auto_shutdown_* keys: unknown versions are assumed to.</summary>
    public bool HasDaemonAutoShutdown => LibvirtVersion is not { } version || version >= AutoShutdownSince;
}
