using Sundown.Core.Config;
using Sundown.Core.Model;

namespace Sundown.Core.Policy;

/// <summary>
/// A guest's policy: the config's defaults, then every matching <c>[[guest]]</c> rule in file
/// order (later ones win), then the guest's own metadata, which wins over the file, unless the
/// config says <c>trust_guest_metadata = false</c>: then the metadata is ignored.
/// </summary>
public static class PolicyResolver
{
    /// <param name="metadataXml">The guest's sundown metadata element, or null when it has none; ignored when the config does not trust it.</param>
    /// <exception cref="FormatException">The guest's metadata is invalid; the message names the guest.</exception>
    /// <param name="ignoredHooks">Told, naming the guest, when its metadata has hooks and the config does not trust them.</param>
    public static GuestPolicy Resolve(Guest guest, SundownConfig config, string? metadataXml, Action<string>? ignoredHooks = null)
    {
        var policy = config.Defaults;
        foreach (var rule in config.Rules)
        {
            if (rule.Matches(guest))
            {
                policy = rule.Overrides.ApplyTo(policy);
            }
        }

        if (metadataXml is null || !config.TrustGuestMetadata)
        {
            return policy;
        }

        try
        {
            var overrides = PolicyMetadata.Parse(metadataXml);
            if (overrides.Hooks is not null && !config.TrustGuestHooks)
            {
                // Anyone with domain:write could make root run what they like: the file's hooks stay.
                ignoredHooks?.Invoke($"guest '{guest.Name}' on {guest.Uri}: its metadata names hooks, ignored (trust_guest_hooks = false); the config's hooks apply");
                overrides = overrides with { Hooks = null };
            }

            return overrides.ApplyTo(policy);
        }
        catch (FormatException e)
        {
            throw new FormatException($"guest '{guest.Name}' on {guest.Uri}: {e.Message}", e);
        }
    }
}
