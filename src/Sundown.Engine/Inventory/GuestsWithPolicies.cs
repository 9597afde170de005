using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Inventory;

/// <summary>Every guest of the hosts with its resolved policy: what the planner starts from.</summary>
public static class GuestsWithPolicies
{
    /// <exception cref="ConfigException">A guest's own metadata is invalid: refused before anything is touched.</exception>
    public static IReadOnlyList<(Guest Guest, GuestPolicy Policy)> Read(HostSet hosts, SundownConfig config, IReadOnlyCollection<string>? only = null)
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

                string? metadata;
                try
                {
                    metadata = host.GetMetadata(guest.Uuid, PolicyMetadata.Namespace);
                }
                catch (HostException e) when (e.Kind == HostErrorKind.GuestNotFound)
                {
                    continue;
                }

                try
                {
                    result.Add((guest, PolicyResolver.Resolve(guest, config, metadata)));
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
