namespace Sundown.Core.Ups;

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
