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
