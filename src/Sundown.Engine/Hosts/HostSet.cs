using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Hosts;

/// <summary>
/// The hosts one command works on, opened together and closed together. Every host is opened at
/// once, each bounded by the connect timeout; the command goes on with those that answered and
/// reports the others (<see cref="Unreachable"/>): one host that is down or hanging never keeps
/// the others' guests from being stopped, listed or planned.
/// </summary>
public sealed class HostSet : IDisposable
{
    private HostSet(IReadOnlyList<IGuestHost> hosts, IReadOnlyList<UnreachableHost> unreachable)
    {
        Hosts = hosts;
        Unreachable = unreachable;
    }

    /// <summary>The open hosts, in the order their URIs were given, without repeats.</summary>
    public IReadOnlyList<IGuestHost> Hosts { get; }

    /// <summary>The hosts that could not be opened, in the order their URIs were given.</summary>
    public IReadOnlyList<UnreachableHost> Unreachable { get; }

    /// <summary>Opens every host at once with <see cref="HostOpener.DefaultTimeout"/> on the real clock, and waits for them.</summary>
    public static HostSet Open(IEnumerable<string> uris, Func<string, IGuestHost> open) =>
        OpenAsync(uris, open, HostOpener.DefaultTimeout, TimeProvider.System).GetAwaiter().GetResult();

    /// <summary>
    /// Opens every host at once, each given up on after <paramref name="connectTimeout"/>: the whole
    /// wait costs at most that, however many hosts hang. Never throws for a host: one that fails is
    /// in <see cref="Unreachable"/>.
    /// </summary>
    public static async Task<HostSet> OpenAsync(
        IEnumerable<string> uris, Func<string, IGuestHost> open, TimeSpan connectTimeout, TimeProvider time, CancellationToken cancel = default)
    {
        var distinct = uris.Distinct(StringComparer.Ordinal).ToList();
        var opening = distinct.Select(uri => OpenOneAsync(uri, open, connectTimeout, time, cancel)).ToList();
        try
        {
            await Task.WhenAll(opening);
        }
        catch (OperationCanceledException)
        {
            // Interrupted: close what did open, and say so to the caller.
            foreach (var task in opening.Where(static t => t.IsCompletedSuccessfully))
            {
                task.Result.Host?.Dispose();
            }

            throw;
        }

        var hosts = new List<IGuestHost>();
        var unreachable = new List<UnreachableHost>();
        foreach (var (host, problem) in opening.Select(static t => t.Result))
        {
            if (host is not null)
            {
                // Two URIs may reach one daemon (an alias, a default URI written out): it is the
                // URI the host reports that everything is keyed by, so the second is closed.
                if (hosts.Any(other => other.Uri == host.Uri))
                {
                    _ = Task.Run(host.Dispose);
                    continue;
                }

                hosts.Add(host);
            }
            else
            {
                unreachable.Add(problem!);
            }
        }

        return new HostSet(hosts, unreachable);
    }

    /// <summary>Every guest of every host, host by host in the given order, each host's sorted by name.</summary>
    public IReadOnlyList<Guest> ListGuests() => [.. Hosts.SelectMany(static host => host.ListGuests())];

    /// <summary>
    /// How long closing the hosts may take: a daemon that answers closes in milliseconds, one that
    /// froze never does, and every second waited here comes after the stop's deadline and its
    /// destroys' grace (the process lets go of the connection as it exits anyway).
    /// </summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Closes every host at once, waiting <see cref="CloseTimeout"/> at most: a stop must end even if a host froze.</summary>
    public void Dispose()
    {
        var closing = Hosts.Select(static host => Task.Run(host.Dispose)).ToArray();
        try
        {
            Task.WaitAll(closing, CloseTimeout);
        }
        catch (AggregateException)
        {
            // A close that failed leaves nothing to do: the process is about to let go of it anyway.
        }
    }

    private static async Task<(IGuestHost? Host, UnreachableHost? Problem)> OpenOneAsync(
        string uri, Func<string, IGuestHost> open, TimeSpan timeout, TimeProvider time, CancellationToken cancel)
    {
        try
        {
            return (await HostOpener.OpenAsync(uri, open, timeout, time, cancel), null);
        }
        catch (HostException e)
        {
            return (null, new UnreachableHost(uri, e.Message));
        }
    }
}
