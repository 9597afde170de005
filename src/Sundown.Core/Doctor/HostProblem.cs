namespace Sundown.Core.Doctor;

/// <summary>A host doctor could not read: unreachable, or refused the listing.</summary>
public sealed record HostProblem(string Uri, string Message);
