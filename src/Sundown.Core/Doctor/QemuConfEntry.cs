namespace Sundown.Core.Doctor;

/// <summary>One setting of a libvirt daemon config file.</summary>
/// <param name="Value">A string's content, a number's digits, or an array's elements joined by ", ".</param>
/// <param name="IsString">Whether the value was a quoted string: libvirt's string settings accept nothing else.</param>
/// <param name="Line">The 1-based line of the key.</param>
public sealed record QemuConfEntry(string Key, string Value, bool IsString, int Line);
