using System.Xml.Linq;
using Sundown.Core.Model;

namespace Sundown.Libvirt.Tests;

/// <summary>
/// A host for libvirt's test driver, written to a file: <c>test:///PATH</c> then opens a
/// private in-process host holding exactly these guests (each connection its own copy).
/// </summary>
internal sealed class TestHostFile : IDisposable
{
    private static readonly XNamespace s_test = "http://libvirt.org/schemas/domain/test/1.0";
    private static readonly XNamespace s_libosinfo = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

    private TestHostFile(string path, IReadOnlyList<Spec> guests)
    {
        Path = path;
        Guests = guests;
    }

    /// <summary>What one generated guest is, so a test can compare what it reads with it.</summary>
    /// <param name="Acpi">Whether its definition has <c>&lt;features&gt;&lt;acpi/&gt;&lt;/features&gt;</c>.</param>
    /// <param name="AgentChannel">Whether its definition has a QEMU guest-agent channel.</param>
    internal sealed record Spec(string Name, GuestState State, bool Transient, bool ManagedSave, ulong MemoryKiB, int Vcpus, string? Os, bool Acpi = false, bool AgentChannel = false);

    internal string Path { get; }

    internal string Uri => $"test://{Path}";

    internal IReadOnlyList<Spec> Guests { get; }

    /// <summary>Names that break shell loops; each must come back exactly.</summary>
    internal static readonly string[] HostileNames =
    [
        "vm 0004 ünïcødé",
        "it's \"quoted\"",
        "semi;colon",
        "$(touch sundown-pwned)",
        "`back tick`",
        "a & b <c>",
        "  leading and trailing  ",
        "日本語のゲスト",
    ];

    /// <summary>
    /// <paramref name="count"/> guests cycling through running, paused, shut off, transient
    /// and shut off with a managed-save image; the first ones carry <see cref="HostileNames"/>.
    /// </summary>
    internal static TestHostFile Create(int count)
    {
        var specs = new List<Spec>(count);
        for (int i = 0; i < count; i++)
        {
            string name = i < HostileNames.Length ? HostileNames[i] : $"guest-{i:D5}";
            var (state, transient, saved) = (i % 5) switch
            {
                0 => (GuestState.Running, false, false),
                1 => (GuestState.Paused, false, false),
                2 => (GuestState.Shutoff, false, false),
                3 => (GuestState.Running, true, false),
                _ => (GuestState.Shutoff, false, true),
            };
            string? os = (i % 3) switch
            {
                0 => "http://debian.org/debian/12",
                1 => "http://microsoft.com/win/11",
                _ => null,
            };
            specs.Add(new Spec(name, state, transient, saved, (ulong)((i % 7) + 1) * 128 * 1024, (i % 4) + 1, os));
        }

        return Write(specs);
    }

    internal static TestHostFile Write(IReadOnlyList<Spec> specs)
    {
        var node = new XElement("node", specs.Select(ToDomain));
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sundown-testhost-{Guid.NewGuid():N}.xml");
        node.Save(path);
        return new TestHostFile(path, specs);
    }

    public void Dispose() => File.Delete(Path);

    private static XElement ToDomain(Spec spec)
    {
        int runstate = spec.State switch
        {
            GuestState.Paused => 3,
            GuestState.Shutoff => 5,
            _ => 1,
        };
        var domain = new XElement(
            "domain",
            new XAttribute("type", "test"),
            new XAttribute(XNamespace.Xmlns + "test", s_test),
            new XElement("name", spec.Name),
            new XElement("memory", new XAttribute("unit", "KiB"), spec.MemoryKiB),
            new XElement("vcpu", spec.Vcpus),
            new XElement("os", new XElement("type", "hvm")),
            new XElement(s_test + "runstate", runstate));
        if (spec.Os is not null)
        {
            domain.Add(new XElement("metadata", new XElement(
                s_libosinfo + "libosinfo",
                new XAttribute(XNamespace.Xmlns + "libosinfo", s_libosinfo),
                new XElement(s_libosinfo + "os", new XAttribute("id", spec.Os)))));
        }

        if (spec.Acpi)
        {
            domain.Add(new XElement("features", new XElement("acpi")));
        }

        if (spec.AgentChannel)
        {
            domain.Add(new XElement("devices", new XElement(
                "channel",
                new XAttribute("type", "unix"),
                new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", "org.qemu.guest_agent.0")))));
        }

        if (spec.Transient)
        {
            domain.Add(new XElement(s_test + "transient"));
        }

        if (spec.ManagedSave)
        {
            domain.Add(new XElement(s_test + "hasmanagedsave"));
        }

        return domain;
    }
}
