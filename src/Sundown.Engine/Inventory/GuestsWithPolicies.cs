using Sundown.Core.Config;
using Sundown.Core.Doctor;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Inventory;

/// <summary>Every guest of the hosts with its resolved policy: what the planner starts from.</summary>
public static class GuestsWithPolicies
{
    /// <summary>
    /// Reads the guests and resolves their policies. A guest whose own policy element is invalid
    /// is never refused: it gets the config's policy and is listed in
    /// <see cref="GuestInventory.InvalidPolicies"/>, for the caller to warn about (stop, plan and
    /// doctor alike). One typo in one guest's XML must not leave every guest running at shutdown.
    /// </summary>
    public static GuestInventory Read(HostSet hosts, SundownConfig config, IReadOnlyCollection<string>? only = null)
    {
        var result = new List<(Guest, GuestPolicy)>();
        var invalid = new List<GuestProblem>();
        var unlisted = new List<UnreachableHost>();
        foreach (var host in hosts.Hosts)
        {
            IReadOnlyList<Guest> guests;
            try
            {
                guests = host.ListGuests();
            }
            catch (HostException e)
            {
                // As good as unreachable: reported, and the other hosts go on.
                unlisted.Add(new UnreachableHost(host.Uri, e.Message));
                continue;
            }

            foreach (var guest in guests)
            {
                if (only is not null && !only.Contains(guest.Name))
                {
                    continue;
                }

                // The policy element came with the guest's definition in ListGuests: no call per guest.
                try
                {
                    result.Add((guest, PolicyResolver.Resolve(guest, config, guest.PolicyMetadata)));
                }
                catch (FormatException e)
                {
                    invalid.Add(new GuestProblem(guest, e.Message));
                    result.Add((guest, PolicyResolver.Resolve(guest, config, null)));
                }
            }
        }

        return new GuestInventory(result, invalid, unlisted);
    }
}
