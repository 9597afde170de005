namespace Sundown.Core.Doctor;

/// <summary>One <c>Key=value</c> of a systemd unit or config file.</summary>
/// <param name="File">The file it was read from, to say where a value comes from.</param>
public sealed record SystemdSetting(string Section, string Key, string Value, string File, int Line);
