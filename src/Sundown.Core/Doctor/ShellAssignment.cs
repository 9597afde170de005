namespace Sundown.Core.Doctor;

/// <summary>One <c>NAME=value</c> of a shell file, with its 1-based line.</summary>
public sealed record ShellAssignment(string Name, string Value, int Line);
