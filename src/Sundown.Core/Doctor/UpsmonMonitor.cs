namespace Sundown.Core.Doctor;

/// <summary>One <c>MONITOR system powervalue username password type</c> line of upsmon.conf.</summary>
/// <param name="System">The UPS, <c>NAME@HOST[:PORT]</c> as upsmon writes it.</param>
/// <param name="PowerValue">How many of this host's power supplies it feeds; 0 monitors it without shutting down for it.</param>
/// <param name="Type">primary (master) or secondary (slave), as upsmon reads it; empty when the line lacks it.</param>
public sealed record UpsmonMonitor(string System, int PowerValue, int Line, string Type = "")
{
    /// <summary>upsmon's own test (strcasecmp): "primary" or its old name "master", in any case; anything else is a secondary.</summary>
    public bool IsPrimary => Type.Equals("primary", StringComparison.OrdinalIgnoreCase) || Type.Equals("master", StringComparison.OrdinalIgnoreCase);
}
