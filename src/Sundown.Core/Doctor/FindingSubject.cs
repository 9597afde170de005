using Sundown.Core.Model;

namespace Sundown.Core.Doctor;

/// <summary>What a finding is about.</summary>
/// <param name="Uri">The libvirt URI it concerns; null for the machine doctor runs on (its files and services).</param>
/// <param name="Name">The guest's name; null when the subject is not a guest.</param>
/// <param name="Uuid">The guest's UUID; null when the subject is not a guest.</param>
public sealed record FindingSubject(string? Uri, string? Name, string? Uuid)
{
    /// <summary>The machine itself: its systemd units, its libvirt config files.</summary>
    public static FindingSubject Machine { get; } = new(null, null, null);

    public static FindingSubject Host(string uri) => new(uri, null, null);

    public static FindingSubject Of(Guest guest) => new(guest.Uri, guest.Name, guest.Uuid);

    public bool IsGuest => Uuid is not null;

    /// <summary>The JSON contract's <c>subject</c>: <c>host</c>, or the guest's name.</summary>
    public string Describe() => Name ?? "host";
}
