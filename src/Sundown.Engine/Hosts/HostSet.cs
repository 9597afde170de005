using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Hosts;

/// <summary>
/// The hosts one command works on, opened together and closed together. If any host
/// cannot be opened, those already open are closed and nothing is done: a command acts
/// on all the hosts it was given, or on none.
/// </summary>
public sealed class HostSet : IDisposable
{
    private HostSet(IReadOnlyList<IGuestHost> hosts) => Hosts = hosts;

    /// <summary>The open hosts, in the order their URIs were given, without repeats.</summary>
    public IReadOnlyList<IGuestHost> Hosts { get; }

    /// <exception cref="HostException">A host could not be opened (the others are closed again).</exception>
    public static HostSet Open(IEnumerable<string> uris, Func<string, IGuestHost> open)
    {
        var hosts = new List<IGuestHost>();
        try
        {
            foreach (string uri in uris.Distinct(StringComparer.Ordinal))
            {
                hosts.Add(open(uri));
            }
        }
        catch
        {
            hosts.ForEach(static host => host.Dispose());
            throw;
        }

        return new HostSet(hosts);
    }

    /// <summary>Every guest of every host, host by host in the given order, each host's sorted by name.</summary>
    public IReadOnlyList<Guest> ListGuests() => [.. Hosts.SelectMany(static host => host.ListGuests())];

    public void Dispose()
    {
        foreach (var host in Hosts)
        {
            host.Dispose();
        }
    }
}
