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
    ImmutableArray<GuestProblem> InvalidPolicies);
