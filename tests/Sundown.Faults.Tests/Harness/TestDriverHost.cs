using System.Xml.Linq;

namespace Sundown.Faults.Tests.Harness;

/// <summary>
/// A host for libvirt's test driver written to a file (<c>test:///PATH</c>): each process opens
/// its own private copy, so outcomes are read from the run's JSON, never by listing afterwards.
/// Unlike the binding tests' TestHostFile, its guests may carry a <c>&lt;sundown:policy&gt;</c>
/// element (the fault of a bad one is what these tests need) and any libvirt state number.
/// </summary>
internal static class TestDriverHost
{
    private static readonly XNamespace s_test = "http://libvirt.org/schemas/domain/test/1.0";
    private static readonly XNamespace s_policy = "https://sundown.dev/xmlns/policy/1";

    /// <param name="Name">The guest's name (data, never a shell word).</param>
    /// <param name="StopAttribute">The <c>stop</c> attribute of its policy element; null for no element.</param>
    /// <param name="RunState">libvirt's <c>virDomainState</c>: 1 running, 3 paused, 4 shutting down, 5 shut off.</param>
    internal sealed record Guest(string Name, string? StopAttribute = null, int RunState = 1);

    /// <summary>Writes the host into <paramref name="workspace"/> and returns its URI.</summary>
    internal static string Write(Workspace workspace, params Guest[] guests)
    {
        string path = workspace.PathOf("host.xml");
        new XElement("node", guests.Select(ToDomain)).Save(path);
        return $"test://{path}";
    }

    private static XElement ToDomain(Guest guest)
    {
        var domain = new XElement(
            "domain",
            new XAttribute("type", "test"),
            new XAttribute(XNamespace.Xmlns + "test", s_test),
            new XElement("name", guest.Name),
            new XElement("memory", new XAttribute("unit", "MiB"), 256),
            new XElement("vcpu", 1),
            new XElement("os", new XElement("type", "hvm")),
            new XElement(s_test + "runstate", guest.RunState));
        if (guest.StopAttribute is not null)
        {
            domain.Add(new XElement("metadata", new XElement(
                s_policy + "policy",
                new XAttribute(XNamespace.Xmlns + "sundown", s_policy),
                new XAttribute("stop", guest.StopAttribute))));
        }

        return domain;
    }
}
