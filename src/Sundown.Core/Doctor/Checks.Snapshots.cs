using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// Chains left behind: Sundown's snapshots beyond a guest's <c>snapshots</c> (or any while it is 0,
    /// which Sundown then never prunes), and disks whose backing chain is longer than the base, the N
    /// overlays Sundown keeps and one of the operator's. Every overlay is read through on each access
    /// the disk's data is not in the newer ones, and a chain only grows until someone merges it.
    /// </summary>
    private static void Snapshots(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, List<Finding> findings)
    {
        foreach (var (guest, policy) in guests)
        {
            if (facts.Snapshots.FirstOrDefault(s => s.Uri == guest.Uri && s.Uuid == guest.Uuid) is not { } read)
            {
                continue;
            }

            var subject = FindingSubject.Of(guest);
            string name = Quoted(guest.Name);
            var ours = read.Snapshots.Where(SnapshotRule.IsSundowns).OrderBy(s => s.CreatedAt).ToList();
            if (policy.Snapshots == 0 && ours.Count > 0)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.SnapshotsLeftBehind, subject,
                    $"it has {Plural(ours.Count, "snapshot")} that Sundown made, but snapshots = 0 for it now, so Sundown no longer deletes them: each is an overlay its disks read through",
                    $"delete them (merged back by block commit): {string.Join("; ", ours.Select(s => $"virsh snapshot-delete {name} {s.Name}"))}; or set snapshots = {ours.Count} for it to keep that many"));
            }
            else if (policy.Snapshots > 0 && ours.Count > policy.Snapshots)
            {
                var extra = ours.Take(ours.Count - policy.Snapshots).ToList();
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.SnapshotsBeyondKept, subject,
                    $"it has {Plural(ours.Count, "snapshot")} that Sundown made, more than its snapshots = {policy.Snapshots}: the stops had no time to delete the older ones (the next stop tries again while its time lasts)",
                    $"delete the oldest: {string.Join("; ", extra.Select(s => $"virsh snapshot-delete {name} {s.Name}"))}"));
            }

            int allowed = policy.Snapshots + 2;
            foreach (var disk in read.Disks.Where(d => d.ChainLength > allowed))
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.SnapshotChainLong, subject,
                    $"the backing chain of its disk {disk.Target} ({disk.File}) is {disk.ChainLength} images long, more than snapshots + 2 = {allowed}: every read of data older than the newest overlay goes down the chain",
                    $"list them with virsh snapshot-list {name} and delete what is no longer needed (virsh snapshot-delete {name} NAME merges an external snapshot back), or merge the chain with virsh blockcommit {name} {disk.Target} --active --pivot; set snapshots for it if Sundown should keep more"));
            }
        }
    }
}
