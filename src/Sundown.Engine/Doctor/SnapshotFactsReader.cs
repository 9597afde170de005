using System.Collections.Immutable;
using Sundown.Core.Doctor;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Engine.Doctor;

/// <summary>Reads every guest's snapshots and disk chains for doctor; a host that cannot say (libvirt's test driver lists, but has no chains) is left out, never an error.</summary>
internal static class SnapshotFactsReader
{
    internal static ImmutableArray<GuestSnapshots> Read(IReadOnlyList<IGuestHost> hosts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests)
    {
        var read = ImmutableArray.CreateBuilder<GuestSnapshots>();
        foreach (var host in hosts)
        {
            foreach (var (guest, _) in guests.Where(g => g.Guest.Uri == host.Uri))
            {
                try
                {
                    read.Add(new GuestSnapshots(guest.Uri, guest.Uuid, [.. host.ListSnapshots(guest.Uuid)], [.. host.ListDisks(guest.Uuid)]));
                }
                catch (HostException)
                {
                    // Gone meanwhile, or a host without snapshots: nothing to judge.
                }
                catch (FormatException)
                {
                    // A definition that does not parse is reported by the inventory already.
                }
            }
        }

        return read.ToImmutable();
    }
}
