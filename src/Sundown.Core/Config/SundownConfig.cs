using System.Collections.Immutable;
using Sundown.Core.Hooks;
using Sundown.Core.Policy;
using Sundown.Core.Ups;

namespace Sundown.Core.Config;

/// <summary>The whole configuration: <c>/etc/sundown/sundown.toml</c>, or the defaults when there is none.</summary>
/// <param name="Budget">The time the whole stop may take; null for no overall deadline.</param>
/// <param name="Rules">The <c>[[guest]]</c> rules, in file order; later matches override earlier ones.</param>
public sealed record SundownConfig(
    ImmutableArray<string> Connect,
    TimeSpan? Budget,
    Limits Limits,
    GuestPolicy Defaults,
    ImmutableArray<GuestRule> Rules)
{
    public const string DefaultUri = "qemu:///system";

    /// <summary>
    /// <c>trust_guest_metadata</c> (default true): whether a guest's own <c>&lt;sundown:policy&gt;</c>
    /// element in its domain XML overrides the file. False on hosts where those who may edit a
    /// domain's XML (libvirt's write access, a tenant's tooling) must not override root's
    /// policy: every guest then gets the file's policy alone, and doctor and plan say so.
    /// </summary>
    public bool TrustGuestMetadata { get; init; } = true;

    /// <summary>
    /// <c>trust_guest_hooks</c> (default false): whether the hooks in a guest's trusted metadata
    /// are run. A hook runs as root, and domain:write is not root: so only the file, which must be
    /// root's and writable by no one else, names them unless this says otherwise.
    /// </summary>
    public bool TrustGuestHooks { get; init; }

    /// <summary>
    /// <c>[ups]</c>: the UPS whose <c>battery.runtime</c>, less its margin, bounds the budget while
    /// it is on battery, and which <c>sundown watch</c> follows. Null without one.
    /// </summary>
    public UpsConfig? Ups { get; init; }

    /// <summary>
    /// <c>[hooks]</c>: run once per run, not per guest: <c>pre_stop</c> before the first guest's stop
    /// begins, <c>post_stop</c> after the last guest's stop ended, <c>post_start</c> after a start.
    /// </summary>
    public HookSet Hooks { get; init; } = HookSet.Empty;

    public static SundownConfig Default { get; } = new([DefaultUri], null, Limits.Default, GuestPolicy.Default, []);
}
