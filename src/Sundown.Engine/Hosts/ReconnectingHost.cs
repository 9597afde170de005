using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Hosts;

/// <summary>
/// A host that survives a restart of libvirtd (or a dropped remote link): when a call finds
/// the connection gone, or the connection reports itself closed, it opens a new one, moves
/// the event subscriptions over, re-reads every guest's state so that a guest that went off
/// meanwhile is reported off, and retries the call once. Guests keep running through a
/// libvirtd restart; only the connection is new.
/// </summary>
public sealed class ReconnectingHost : IGuestHost
{
    private static readonly TimeSpan s_retryPause = TimeSpan.FromMilliseconds(500);

    private readonly Func<string, IGuestHost> _open;
    private readonly string _requestedUri;
    private readonly TimeSpan _giveUpAfter;
    // _lock guards the fields and is held only briefly; _reconnecting serialises reconnects,
    // which take seconds (libvirtd coming back), so that other calls are not held up by them.
    private readonly Lock _lock = new();
    private readonly Lock _reconnecting = new();
    private readonly Dictionary<ChannelWriter<LifecycleEvent>, IDisposable> _subscriptions = [];
    private HashSet<string> _known = [];
    private IGuestHost _current;

    private ReconnectingHost(string requestedUri, Func<string, IGuestHost> open, TimeSpan giveUpAfter, IGuestHost first)
    {
        _requestedUri = requestedUri;
        _open = open;
        _giveUpAfter = giveUpAfter;
        _current = first;
        Uri = first.Uri;
        first.Disconnected += OnDisconnected;
    }

    public event Action? Disconnected;

    public string Uri { get; }

    /// <summary>How many times a new connection was made.</summary>
    public int Reconnects { get; private set; }

    /// <param name="giveUpAfter">How long to keep trying to reconnect before a call fails for good.</param>
    public static ReconnectingHost Open(string uri, Func<string, IGuestHost> open, TimeSpan giveUpAfter) =>
        new(uri, open, giveUpAfter, open(uri));

    public IReadOnlyList<Guest> ListGuests()
    {
        var guests = Call(host => host.ListGuests());
        lock (_lock)
        {
            _known = [.. guests.Select(g => g.Uuid)];
        }

        return guests;
    }

    public GuestStatus GetStatus(string uuid) => Call(host => host.GetStatus(uuid));

    public void Shutdown(string uuid, ShutdownMethod method) => Call(host => host.Shutdown(uuid, method));

    public void Destroy(string uuid) => Call(host => host.Destroy(uuid));

    public void Suspend(string uuid) => Call(host => host.Suspend(uuid));

    public void Resume(string uuid) => Call(host => host.Resume(uuid));

    public void Wakeup(string uuid) => Call(host => host.Wakeup(uuid));

    public void ManagedSave(string uuid) => Call(host => host.ManagedSave(uuid));

    public void AbortJob(string uuid) => Call(host => host.AbortJob(uuid));

    public void Start(string uuid, bool paused = false) => Call(host => host.Start(uuid, paused));

    public string? GetMetadata(string uuid, string namespaceUri) => Call(host => host.GetMetadata(uuid, namespaceUri));

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => Call(host => host.SetMetadata(uuid, namespaceUri, prefix, xml));

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        lock (_lock)
        {
            _subscriptions[sink] = _current.SubscribeLifecycle(sink);
        }

        return new Subscription(this, sink);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var subscription in _subscriptions.Values)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
            _current.Disconnected -= OnDisconnected;
            _current.Dispose();
        }
    }

    private void Call(Action<IGuestHost> call) => Call<bool>(host =>
    {
        call(host);
        return true;
    });

    private T Call<T>(Func<IGuestHost, T> call)
    {
        var host = Current();
        try
        {
            return call(host);
        }
        catch (Exception e) when (e is HostException { Kind: HostErrorKind.ConnectionLost } or ObjectDisposedException)
        {
            // ObjectDisposedException: another thread replaced the connection under this call.
            return call(Reconnect(host));
        }
    }

    private IGuestHost Current()
    {
        lock (_lock)
        {
            return _current;
        }
    }

    private void OnDisconnected()
    {
        try
        {
            Reconnect(Current());
            Disconnected?.Invoke();
        }
        catch (HostException)
        {
            // The next call tries again, and reports the failure if it persists.
        }
    }

    /// <summary>Replaces <paramref name="broken"/> with a new connection, unless another thread already has.</summary>
    private IGuestHost Reconnect(IGuestHost broken)
    {
        lock (_reconnecting)
        {
            var current = Current();
            if (!ReferenceEquals(current, broken))
            {
                return current;
            }

            var fresh = OpenAgain();
            List<(ChannelWriter<LifecycleEvent> Sink, IDisposable Old)> moved;
            lock (_lock)
            {
                moved = [.. _subscriptions.Select(pair => (pair.Key, pair.Value))];
                foreach (var (sink, _) in moved)
                {
                    _subscriptions[sink] = fresh.SubscribeLifecycle(sink);
                }

                broken.Disconnected -= OnDisconnected;
                fresh.Disconnected += OnDisconnected;
                _current = fresh;
                Reconnects++;
            }

            foreach (var (_, old) in moved)
            {
                old.Dispose();
            }

            // Calls still running on the old connection fail with ObjectDisposedException and
            // are retried on the new one.
            broken.Dispose();
            ReportWhatChanged(fresh);
            return fresh;
        }
    }

    private IGuestHost OpenAgain()
    {
        var giveUp = DateTime.UtcNow + _giveUpAfter;
        while (true)
        {
            try
            {
                return _open(_requestedUri);
            }
            catch (HostException) when (DateTime.UtcNow < giveUp)
            {
                // libvirtd takes a moment to come back after a restart.
                Thread.Sleep(s_retryPause);
            }
        }
    }

    /// <summary>
    /// Events sent while the connection was down are lost: read the states again and report
    /// every guest that is off (or gone) as if its event had arrived.
    /// </summary>
    private void ReportWhatChanged(IGuestHost fresh)
    {
        var guests = fresh.ListGuests();
        var present = guests.Select(g => g.Uuid).ToHashSet();
        lock (_lock)
        {
            var events = guests
                .Where(g => g.State == GuestState.Shutoff)
                .Select(g => new LifecycleEvent(Uri, g.Uuid, g.Name, LifecycleEventKind.Stopped, StoppedDetail(g.StateReason)))
                .Concat(_known.Where(uuid => !present.Contains(uuid)).Select(uuid => new LifecycleEvent(Uri, uuid, "", LifecycleEventKind.Undefined, 0)))
                .ToList();
            _known = present;
            foreach (var sink in _subscriptions.Keys)
            {
                events.ForEach(lifecycleEvent => sink.TryWrite(lifecycleEvent));
            }
        }
    }

    /// <summary>The STOPPED event detail that goes with a SHUTOFF reason: saved, destroyed, crashed or shut down.</summary>
    private static int StoppedDetail(int shutoffReason) => shutoffReason switch
    {
        ShutoffDestroyed => StoppedDestroyed,
        ShutoffCrashed => StoppedCrashed,
        ShutoffSaved => StoppedSaved,
        _ => StoppedShutdown,
    };

    // libvirt's SHUTOFF reasons and the STOPPED event details that go with them.
    private const int ShutoffDestroyed = 2;
    private const int ShutoffCrashed = 3;
    private const int ShutoffSaved = 5;
    private const int StoppedShutdown = 0;
    private const int StoppedDestroyed = 1;
    private const int StoppedCrashed = 2;
    private const int StoppedSaved = 4;

    private sealed class Subscription(ReconnectingHost host, ChannelWriter<LifecycleEvent> sink) : IDisposable
    {
        public void Dispose()
        {
            lock (host._lock)
            {
                if (host._subscriptions.Remove(sink, out var inner))
                {
                    inner.Dispose();
                }
            }
        }
    }
}
