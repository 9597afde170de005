using System.Xml;
using Sundown.Core.Config;

namespace Sundown.Core.Policy;

/// <summary>
/// A guest's own policy, kept in its domain XML so that it travels with the guest:
/// <code>
/// virsh metadata GUEST --uri https://sundown.dev/xmlns/policy/1 --key sundown --live --config \
///   --set '&lt;policy order="10" stop="acpi 5m, save, destroy" restore="always" start_delay="30s"/&gt;'
/// </code>
/// Every attribute is optional; what it sets overrides the config file.
/// </summary>
public static class PolicyMetadata
{
    public const string Namespace = "https://sundown.dev/xmlns/policy/1";
    public const string Prefix = "sundown";

    /// <exception cref="FormatException">The element is not a valid policy; the message says what is wrong.</exception>
    public static PolicyOverrides Parse(string xml)
    {
        XmlElement element;
        try
        {
            var document = new XmlDocument { XmlResolver = null };
            document.LoadXml(xml);
            element = document.DocumentElement!;
        }
        catch (XmlException e)
        {
            throw new FormatException($"the sundown metadata is not well-formed XML: {e.Message}", e);
        }

        if (element.LocalName != "policy")
        {
            throw new FormatException($"the sundown metadata must be a <policy> element, not <{element.LocalName}>");
        }

        var overrides = new PolicyOverrides();
        foreach (XmlAttribute attribute in element.Attributes)
        {
            if (attribute.Prefix == "xmlns" || attribute.Name == "xmlns")
            {
                continue;
            }

            string value = attribute.Value;
            overrides = attribute.LocalName switch
            {
                "order" => overrides with { Order = int.TryParse(value, out int order) ? order : throw Bad("order", $"'{value}' is not a whole number") },
                "stop" => overrides with { Stop = StopLadder.TryCreate(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), out string? error) ?? throw Bad("stop", error!) },
                "restore" => overrides with { Restore = ParseRestore(value) },
                "start_delay" => overrides with { StartDelay = Durations.TryParse(value, out string? error) ?? throw Bad("start_delay", error!) },
                "snapshots" => overrides with { Snapshots = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int kept) && SnapshotRule.CheckKept(kept) is null ? kept : throw Bad("snapshots", SnapshotRule.CheckKept(kept) ?? $"'{value}' is not a whole number") },
                _ => throw Bad(attribute.LocalName, "unknown attribute (expected order, stop, restore, start_delay, snapshots)"),
            };
        }

        return overrides;
    }

    private static RestoreRule ParseRestore(string value) => value switch
    {
        "previous" => RestoreRule.Previous,
        "always" => RestoreRule.Always,
        "never" => RestoreRule.Never,
        _ => throw Bad("restore", $"'{value}' is not previous, always or never"),
    };

    private static FormatException Bad(string attribute, string problem) => new($"sundown metadata, {attribute}: {problem}");
}
