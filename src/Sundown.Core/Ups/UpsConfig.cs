using System.Collections.Immutable;

namespace Sundown.Core.Ups;

/// <summary>The config's <c>[ups]</c>: the UPS whose runtime bounds the budget while it is on battery.</summary>
/// <param name="Margin">Runtime kept back for the host's own shutdown after the guests' (upsmon, the unmounts, the UPS's own off delay).</param>
public sealed record UpsConfig(UpsName Name, TimeSpan Margin, PowerReturn OnPowerReturn)
{
    public static readonly TimeSpan DefaultMargin = TimeSpan.FromSeconds(60);

    /// <summary>This host's part in a rack on one UPS: which upsmon it runs beside (<see cref="UpsRole"/>).</summary>
    public UpsRole Role { get; init; } = UpsRole.Standalone;

    /// <summary>A upsd.users user of upsd; null when no command needs one (reading needs no login).</summary>
    public UpsCredentials? Credentials { get; init; }

    /// <summary>
    /// On the primary: watch may set FSD at upsd when the rack's slowest host needs the whole rack
    /// down (its guests' stop no longer fits in the runtime left less this host's margin).
    /// </summary>
    public bool SetsForcedShutdown { get; init; }

    /// <summary>On the primary: the other hosts on this UPS, as each one's own plan says it needs.</summary>
    public ImmutableArray<RackHost> Secondaries { get; init; } = [];
}

/// <summary>Which upsmon a host runs beside, in NUT's words (upsmon.conf's MONITOR … primary|secondary).</summary>
public enum UpsRole
{
    /// <summary>One host on its UPS (NUT's MODE=standalone), or a role not said: watch only reads.</summary>
    Standalone,

    /// <summary>The host whose upsmon sets FSD and powers the UPS off last, after HOSTSYNC's wait for the others.</summary>
    Primary,

    /// <summary>
    /// A host whose upsmon shuts it down when the primary sets FSD: watch holds a login on the UPS
    /// until this host's guests are safe, so that the primary's HOSTSYNC wait covers them.
    /// </summary>
    Secondary,
}

/// <summary>A user of upsd.users: <c>user</c> and <c>password</c> of [ups].</summary>
public sealed record UpsCredentials(string User, string Password)
{
    /// <summary>Never the password: what a message or <c>plan</c> may print.</summary>
    public override string ToString() => User;
}

/// <summary>One <c>[[ups.secondary]]</c> of the primary's config: another host on the same UPS.</summary>
/// <param name="Host">How the operator calls it, for doctor's and watch's messages.</param>
/// <param name="Needs">Its guests' stop's worst case, as its own <c>sundown plan</c> says ("worst case").</param>
/// <param name="Margin">Its own [ups] margin: what it keeps back for its host's shutdown.</param>
public sealed record RackHost(string Host, TimeSpan Needs, TimeSpan Margin);
