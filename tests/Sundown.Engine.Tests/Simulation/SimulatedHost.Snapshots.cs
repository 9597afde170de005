using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Tests.Simulation;

internal sealed partial class SimulatedHost
{
    private readonly Dictionary<string, SimulatedDisk> _disks = [];

    /// <summary>
    /// A guest's disk as a snapshot sees it. Like libvirt's QEMU driver: a snapshot blocks its
    /// caller for <see cref="SnapshotTime"/> (a quiesce through an agent that does not answer for
    /// <see cref="QuiesceTime"/>, then fails), a delete for <see cref="DeleteTime"/> (the block
    /// commit); a guest without a disk has nothing to snapshot.
    /// </summary>
    internal sealed class SimulatedDisk
    {
        internal bool HasDisk { get; set; } = true;

        internal TimeSpan SnapshotTime { get; set; } = TimeSpan.FromSeconds(0.2);

        internal TimeSpan DeleteTime { get; set; } = TimeSpan.FromSeconds(0.1);

        /// <summary>Given, the quiesce fails after <see cref="QuiesceTime"/> as QEMU's does when the agent does not answer.</summary>
        internal bool AgentAnswers { get; set; } = true;

        internal TimeSpan QuiesceTime { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Given, a quiesced snapshot makes its overlays and then fails to thaw (an error naming the agent).</summary>
        internal bool ThawFails { get; set; }

        /// <summary>Given, every snapshot fails with it (a raw disk's directory full, say).</summary>
        internal string? Fails { get; set; }

        internal List<SnapshotInfo> Snapshots { get; } = [];

        /// <summary>Every create asked, with whether it quiesced.</summary>
        internal List<(string Name, bool Quiesce)> Creates { get; } = [];

        internal List<string> Deleted { get; } = [];
    }

    /// <summary>The guest's disk (made with the defaults at first use).</summary>
    internal SimulatedDisk DiskOf(string uuid)
    {
        lock (_lock)
        {
            if (!_disks.TryGetValue(uuid, out var disk))
            {
                _disks[uuid] = disk = new SimulatedDisk();
            }

            return disk;
        }
    }

    public SnapshotMade CreateDiskSnapshot(string uuid, string name, string description, bool quiesce) => Serve(nameof(CreateDiskSnapshot), uuid, () =>
    {
        var disk = DiskOf(uuid);
        TimeSpan took;
        lock (_lock)
        {
            var guest = Find(uuid);
            if (guest.Info.State is not (GuestState.Running or GuestState.Paused))
            {
                throw new HostException(HostErrorKind.InvalidState, "Requested operation is not valid: domain is not running");
            }

            disk.Creates.Add((name, quiesce));
            if (!disk.HasDisk)
            {
                return SnapshotMade.NoDisk;
            }

            // As QEMU's driver: a paused guest's agent cannot freeze anything.
            if (quiesce && guest.Info.State == GuestState.Paused)
            {
                throw new HostException(HostErrorKind.InvalidState, "Requested operation is not valid: domain is not running");
            }

            if (disk.Snapshots.Any(s => s.Name == name))
            {
                throw new HostException(HostErrorKind.Failed, $"operation failed: domain snapshot '{name}' already exists");
            }

            took = quiesce && !disk.AgentAnswers ? disk.QuiesceTime : disk.SnapshotTime;
        }

        Sleep(took);
        lock (_lock)
        {
            if (quiesce && !disk.AgentAnswers)
            {
                throw new HostException(HostErrorKind.Failed, "Guest agent is not responding: QEMU guest agent is not connected");
            }

            if (disk.Fails is { } why)
            {
                throw new HostException(HostErrorKind.Failed, why);
            }

            var now = time.GetUtcNow();
            disk.Snapshots.Add(new SnapshotInfo(name, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()), description, DiskOnly: true));
            if (quiesce && disk.ThawFails)
            {
                throw new HostException(HostErrorKind.Failed, "internal error: unable to thaw filesystems: Guest agent is not responding");
            }

            return SnapshotMade.Made;
        }
    });

    public IReadOnlyList<SnapshotInfo> ListSnapshots(string uuid) => Serve(nameof(ListSnapshots), uuid, () =>
    {
        var disk = DiskOf(uuid);
        lock (_lock)
        {
            Find(uuid);
            return (IReadOnlyList<SnapshotInfo>)[.. disk.Snapshots];
        }
    });

    public void DeleteSnapshot(string uuid, string name) => Serve(nameof(DeleteSnapshot), uuid, () =>
    {
        var disk = DiskOf(uuid);
        lock (_lock)
        {
            Find(uuid);
            if (!disk.Snapshots.Any(s => s.Name == name))
            {
                throw new HostException(HostErrorKind.Failed, $"Domain snapshot not found: no domain snapshot with matching name '{name}'");
            }
        }

        Sleep(disk.DeleteTime);
        lock (_lock)
        {
            disk.Snapshots.RemoveAll(s => s.Name == name);
            disk.Deleted.Add(name);
        }
    });
}
