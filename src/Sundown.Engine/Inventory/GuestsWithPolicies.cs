using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Inventory;

/// <summary>Every guest of the hosts with its resolved policy: what the planner starts from.</summary>
public static class GuestsWithPolicies
{
    /// <param name="invalidPolicy">
    /// Given, a guest whose own metadata is invalid is reported to it and kept with the config's
    /// policy (doctor lists every such guest); not given, the first one is refused.
    /// </param>
    /// <exception cref="ConfigException">A guest's own metadata is invalid (and no <paramref name="invalidPolicy"/>): refused before anything is touched.</exception>
    public static IReadOnlyList<(Guest Guest, GuestPolicy Policy)> Read(
        HostSet hosts, SundownConfig config, IReadOnlyCollection<string>? only = null, Action<Guest, string>? invalidPolicy = null)
    {
        var result = new List<(Guest, GuestPolicy)>();
        foreach (var host in hosts.Hosts)
        {
            foreach (var guest in host.ListGuests())
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
                catch (FormatException e) when (invalidPolicy is not null)
                {
                    invalidPolicy(guest, e.Message);
                    result.Add((guest, PolicyResolver.Resolve(guest, config, null)));
                }
                catch (FormatException e)
                {
                    throw new ConfigException($"the domain XML of '{guest.Name}'", 0, 0, e.Message);
                }
            }
        }

        return result;
    }
}
