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
    /// <summary>How long one host may take to list its guests by default: a host of thousands answers in a second or two.</summary>
    public static readonly TimeSpan DefaultListTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads the guests and resolves their policies. A guest whose own policy element is invalid
    /// is never refused: it gets the config's policy and is listed in
    /// <see cref="GuestInventory.InvalidPolicies"/>, for the caller to warn about (stop, plan and
    /// doctor alike). One typo in one guest's XML must not leave every guest running at shutdown.
    /// </summary>
    public static GuestInventory Read(HostSet hosts, SundownConfig config, IReadOnlyCollection<string>? only = null) =>
        ReadAsync(hosts, config, only, DefaultListTimeout, TimeProvider.System).GetAwaiter().GetResult();

    /// <inheritdoc cref="Read"/>
    /// <remarks>
    /// Every host lists at once, each given up on after <paramref name="listTimeout"/>: a daemon that
    /// answered the open and then froze costs that, not the stop. A host that fails or does not
    /// answer is in <see cref="GuestInventory.Unlisted"/>.
    /// </remarks>
    public static async Task<GuestInventory> ReadAsync(
        HostSet hosts, SundownConfig config, IReadOnlyCollection<string>? only, TimeSpan listTimeout, TimeProvider time)
    {
        var listings = hosts.Hosts.Select(host => ListAsync(host, listTimeout, time)).ToList();
        await Task.WhenAll(listings);
        var result = new List<(Guest, GuestPolicy)>();
        var invalid = new List<GuestProblem>();
        var unlisted = new List<UnreachableHost>();
        var ignoredHooks = new List<GuestProblem>();
        foreach (var (host, guests, error) in listings.Select(static t => t.Result))
        {
            if (guests is null)
            {
                // As good as unreachable: reported, and the other hosts go on.
                unlisted.Add(new UnreachableHost(host.Uri, error!));
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
                    result.Add((guest, PolicyResolver.Resolve(guest, config, guest.PolicyMetadata, message => ignoredHooks.Add(new GuestProblem(guest, message)))));
                }
                catch (FormatException e)
                {
                    invalid.Add(new GuestProblem(guest, e.Message));
                    result.Add((guest, PolicyResolver.Resolve(guest, config, null)));
                }
            }
        }

        return new GuestInventory(result, invalid, unlisted) { IgnoredHooks = ignoredHooks };
    }

    private static async Task<(IGuestHost Host, IReadOnlyList<Guest>? Guests, string? Error)> ListAsync(IGuestHost host, TimeSpan timeout, TimeProvider time)
    {
        try
        {
            // Off the caller's thread: a listing blocks in libvirt for as long as the daemon does.
            return (host, await Task.Run(host.ListGuests).WaitAsync(timeout, time), null);
        }
        catch (TimeoutException)
        {
            return (host, null, $"cannot list the guests of '{host.Uri}': no answer in {timeout.TotalSeconds:0.#}s");
        }
        catch (HostException e)
        {
            return (host, null, e.Message);
        }
    }
}
