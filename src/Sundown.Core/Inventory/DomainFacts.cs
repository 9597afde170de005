namespace Sundown.Core.Inventory;

/// <summary>What Sundown needs to know from a domain's XML definition.</summary>
/// <param name="Os">The libosinfo OS id, e.g. <c>http://debian.org/debian/12</c>.</param>
/// <param name="HasAcpi">Whether the guest has ACPI: without it the power button does nothing.</param>
/// <param name="HasAgentChannel">Whether a QEMU guest-agent channel is configured.</param>
public sealed record DomainFacts(string? Os, bool HasAcpi, bool HasAgentChannel, string? Title)
{
    /// <summary>The guest's own Sundown policy element (<see cref="Policy.PolicyMetadata.Namespace"/>), as XML; null without one.</summary>
    public string? PolicyXml { get; init; }
}
