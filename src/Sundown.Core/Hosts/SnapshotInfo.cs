namespace Sundown.Core.Hosts;

/// <summary>One snapshot of a guest, as libvirt describes it.</summary>
/// <param name="CreatedAt">libvirt's <c>creationTime</c> (whole seconds).</param>
/// <param name="Description">The snapshot's description; Sundown's carry its marker (<see cref="Policy.SnapshotRule.Marker"/>).</param>
/// <param name="DiskOnly">Its state is <c>disk-snapshot</c>: disks only, no memory.</param>
public sealed record SnapshotInfo(string Name, DateTimeOffset CreatedAt, string? Description, bool DiskOnly);
