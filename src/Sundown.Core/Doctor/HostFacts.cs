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
    /// auto_shutdown_* settings arrived in libvirt 11.2: older ones ignore those keys.
    /// </summary>
    public ulong? LibvirtVersion { get; init; }

    /// <summary>
    /// libvirt 11.2.0, the first with the daemon's own auto-shutdown (auto_shutdown_try_save …;
    /// its NEWS: "qemu: integrate support for VM shutdown on host shutdown") and with
    /// autostart-once (virDomainGetAutostartOnce, symbol version LIBVIRT_11.2.0).
    /// </summary>
    public const ulong AutoShutdownSince = 11_002_000;

    /// <summary>Whether this libvirt reads the auto_shutdown_* keys: unknown versions are assumed to.</summary>
    public bool HasDaemonAutoShutdown => LibvirtVersion is not { } version || version >= AutoShutdownSince;

    /// <summary>
    /// logind's settings, in the order logind applies them: <c>/etc/systemd/logind.conf</c>,
    /// then the drop-ins of <c>logind.conf.d/</c> (for InhibitDelayMaxSec=, which bounds how long
    /// libvirt's daemon may hold the host's shutdown for its own auto-shutdown).
    /// </summary>
    public ImmutableArray<FileText> LogindConfs { get; init; } = [];

    /// <summary>The UPS of the config's [ups], read now, and NUT's upsmon.conf; nothing when neither is there.</summary>
    public UpsFacts Ups { get; init; } = UpsFacts.None;

    /// <summary>
    /// Why the host's SQLite (libsqlite3.so.0) cannot be loaded, naming the fix; null when it loads.
    /// Without it Sundown keeps no journal at all.
    /// </summary>
    /// <summary>libvirt's hook scripts (daemon, qemu, qemu.d/*), for guests stopped twice; none when there are none.</summary>
    public ImmutableArray<FileText> LibvirtHooks { get; init; } = [];

    public string? SqliteProblem { get; init; }

    /// <summary>The guests' snapshots and disk chains, for the guests whose host could say.</summary>
    public ImmutableArray<GuestSnapshots> Snapshots { get; init; } = [];

    /// <summary>The machine's distribution (PRETTY_NAME of /etc/os-release), to say whose default a setting is; null when unknown.</summary>
    public string? OsName { get; init; }
}
