using System.Collections.Concurrent;
using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Tests.Stopping;

/// <summary>
/// A connection to a simulated host that keeps metadata elements as libvirt keeps them in the
/// persistent definition: in <paramref name="store"/>, shared by every connection to the host, so
/// that what a stop wrote a later start reads. The simulated host itself has no metadata.
/// </summary>
internal sealed class MetadataConnection(IGuestHost inner, ConcurrentDictionary<(string Uuid, string Namespace), string> store) : IGuestHost
{
    public event Action? Disconnected
    {
        add => inner.Disconnected += value;
        remove => inner.Disconnected -= value;
    }

    public string Uri => inner.Uri;

    /// <summary>Makes every metadata write fail, as a daemon that refuses it would.</summary>
    internal bool RefuseWrites { get; init; }

    /// <summary>Given, a listing waits for it: a daemon that answered the open and then froze.</summary>
    internal ManualResetEventSlim? HoldListing { get; init; }

    public IReadOnlyList<Guest> ListGuests()
    {
        HoldListing?.Wait();
        return inner.ListGuests();
    }

    public GuestStatus GetStatus(string uuid) => inner.GetStatus(uuid);

    public void Shutdown(string uuid, ShutdownMethod method) => inner.Shutdown(uuid, method);

    public void Destroy(string uuid) => inner.Destroy(uuid);

    public void Suspend(string uuid) => inner.Suspend(uuid);

    public void Resume(string uuid) => inner.Resume(uuid);

    public void Wakeup(string uuid) => inner.Wakeup(uuid);

    public void ManagedSave(string uuid) => inner.ManagedSave(uuid);

    public void Start(string uuid, bool paused = false) => inner.Start(uuid, paused);

    public string? GetMetadata(string uuid, string namespaceUri) => store.TryGetValue((uuid, namespaceUri), out string? xml) ? xml : null;

    /// <summary>Given, called at the start of every metadata write: a test holds writes there.</summary>
    internal Action? BeforeWrite { get; init; }

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml)
    {
        BeforeWrite?.Invoke();
        if (RefuseWrites)
        {
            throw new HostException(HostErrorKind.Failed, "operation forbidden: metadata is read-only here");
        }

        if (xml is null)
        {
            store.TryRemove((uuid, namespaceUri), out _);
        }
        else
        {
            store[(uuid, namespaceUri)] = xml;
        }
    }

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        // A frozen daemon freezes every call, not only the listing.
        HoldListing?.Wait();
        return inner.SubscribeLifecycle(sink);
    }

    public void Dispose() => inner.Dispose();
}
