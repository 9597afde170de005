namespace Sundown.Core.Doctor;

/// <summary>Where a host's managed-save images go, and the room left there.</summary>
/// <param name="Uri">The host whose saves land there.</param>
/// <param name="AvailableBytes">
/// Free space as an unprivileged writer sees it: libvirt writes as root and may also use the
/// filesystem's reserve, so this errs on the safe side. Null when it could not be read.
/// </param>
public sealed record SaveDirectory(string Uri, string Path, long? AvailableBytes);
