using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Inventory;

namespace Sundown.Core.Doctor;

/// <summary>One guest's snapshots and disks, as doctor read them (for the long-chain checks).</summary>
public sealed record GuestSnapshots(string Uri, string Uuid, ImmutableArray<SnapshotInfo> Snapshots, ImmutableArray<SnapshotXml.Disk> Disks);
