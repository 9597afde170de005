namespace Sundown.Core.Doctor;

/// <summary>One <c>MONITOR system powervalue username password type</c> line of upsmon.conf.</summary>
/// <param name="System">The UPS, <c>NAME@HOST[:PORT]</c> as upsmon writes it.</param>
/// <param name="PowerValue">How many of this host's power supplies it feeds; 0 monitors it without shutting down for it.</param>
public sealed record UpsmonMonitor(string System, int PowerValue, int Line);
