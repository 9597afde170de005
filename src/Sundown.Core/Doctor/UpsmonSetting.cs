namespace Sundown.Core.Doctor;

/// <summary>A keyword's value in upsmon.conf and the line that set it.</summary>
public sealed record UpsmonSetting(string Value, int Line);
