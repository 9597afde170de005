using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Hosts;

/// <summary>
/// A host that survives a restart of libvirtd (or a dropped remote link). When the connection
/// reports itself closed, or a call finds it gone, one reconnect begins: it opens a new
/// connection (each try bounded, paused between tries on the <see cref="TimeProvider"/>) until
/// it succeeds or its give-up time comes, moves the event subscriptions over, re-reads every
/// guest's state so that a guest that went off meanwhile is reported off, and the call that found
/// the connection gone is retried once. Guests keep running through a libvirtd restart; only the
/// connection is new.
/// </summary>
/// <remarks>
/// The port is synchronous, so a call made while a reconnect runs blocks on it; the reconnect
/// ends by its give-up time at the latest, and so does that wait.
/// </remarks>
public sealed class ReconnectingHost : IGuestHost
{
    /// <summary>Between two tries: libvirtd takes a moment to come back after a restart.</summary>
    internal static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(500);

    /// <summary>How long (real time) <see cref="Dispose"/> waits for the connection to close before leaving it to close on its own.</summary>
    internal static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(1);

    private readonly string _requestedUri;
    private readonly Func<string, IGuestHost> _open;
    private readonly TimeSpan _giveUpAfter;
    private readonly DateTimeOffset? _giveUpAt;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();

    // Guards every field below; held only briefly, never across a call into a host that may block.
    private readonly Lock _lock = new();
    private readonly Dictionary<ChannelWriter<LifecycleEvent>, IDisposable> _subscriptions = [];
    private HashSet<string> _known = [];
    private IGuestHost _current;
    private Task<IGuestHost>? _reconnect;
    private bool _disposed;

    private ReconnectingHost(
        string requestedUri, Func<string, IGuestHost> open, TimeSpan giveUpAfter, DateTimeOffset? giveUpAt, TimeSpan connectTimeout, TimeProvider time, IGuestHost first)
    {
        _requestedUri = requestedUri;
        _open = open;
        _giveUpAfter = giveUpAfter;
        _giveUpAt = giveUpAt;
        _connectTimeout = connectTimeout;
        _time = time;
        _current = first;
        Uri = first.Uri;
        first.Disconnected += OnDisconnected;
    }

    /// <summary>Raised (on no particular thread) when the connection was lost and a reconnect gave up.</summary>
    public event Action? Disconnected;

    /// <summary>Raised (on no particular thread) each time the connection is found lost and a reconnect begins.</summary>
    public event Action? ConnectionLost;

    public string Uri { get; }

    /// <summary>How many times a new connection was made.</summary>
    public int Reconnects { get; private set; }

    /// <summary>
    /// Opens <paramref name="uri"/> once with <paramref name="open"/> (the caller bounds this first
    /// open, e.g. with <see cref="HostOpener"/>); reconnects later on their own.
    /// </summary>
    /// <param name="giveUpAfter">How long one reconnect keeps trying, from the moment the connection was found gone.</param>
    /// <param name="time">The clock of the pauses and the give-up; the system's by default.</param>
    /// <param name="giveUpAt">An absolute time no reconnect tries past (the stop's deadline), if earlier than <paramref name="giveUpAfter"/> gives.</param>
    /// <param name="connectTimeout">How long one try may take; <see cref="HostOpener.DefaultTimeout"/> by default.</param>
    public static ReconnectingHost Open(
        string uri, Func<string, IGuestHost> open, TimeSpan giveUpAfter, TimeProvider? time = null, DateTimeOffset? giveUpAt = null, TimeSpan? connectTimeout = null) =>
        new(uri, open, giveUpAfter, giveUpAt, connectTimeout ?? HostOpener.DefaultTimeout, time ?? TimeProvider.System, open(uri));

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

    public SnapshotMade CreateDiskSnapshot(string uuid, string name, string description, bool quiesce) => Call(host => host.CreateDiskSnapshot(uuid, name, description, quiesce));

    public IReadOnlyList<SnapshotInfo> ListSnapshots(string uuid) => Call(host => host.ListSnapshots(uuid));

    public void DeleteSnapshot(string uuid, string name) => Call(host => host.DeleteSnapshot(uuid, name));

    public IReadOnlyList<Sundown.Core.Inventory.SnapshotXml.Disk> ListDisks(string uuid) => Call(host => host.ListDisks(uuid));

    public void Start(string uuid, bool paused = false) => Call(host => host.Start(uuid, paused));

    public string? GetMetadata(string uuid, string namespaceUri) => Call(host => host.GetMetadata(uuid, namespaceUri));

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => Call(host => host.SetMetadata(uuid, namespaceUri, prefix, xml));

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        // Known before the call is made, so that a reconnect that ends meanwhile takes it along.
        var pending = new Pending();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscriptions[sink] = pending;
        }

        Attach(sink, pending);
        return new Subscription(this, sink);
    }

    public void Dispose()
    {
        List<IDisposable> subscriptions;
        IGuestHost current;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
            current = _current;
            current.Disconnected -= OnDisconnected;
        }

        // A reconnect still trying stops at once; a connection it opens late is closed.
        _closing.Cancel();
        // Closing may itself wait on the peer (a remote close is a call, and a frozen libvirtd
        // answers none until keepalive cuts it): waited for a moment, then left to finish on
        // its own, so that the end of a stop and its report never wait on a dead daemon.
        var closed = Task.Run(() =>
        {
            subscriptions.ForEach(static subscription => subscription.Dispose());
            current.Dispose();
        });
        _ = closed.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            closed.Wait(CloseWait);
        }
        catch (AggregateException)
        {
            // Closing failed: nothing more to close.
        }
    }

    private void Call(Action<IGuestHost> call) => Call<bool>(host =>
    {
        call(host);
        return true;
    });

    private T Call<T>(Func<IGuestHost, T> call)
    {
        var host = Connected();
        try
        {
            return call(host);
        }
        catch (Exception e) when (e is HostException { Kind: HostErrorKind.ConnectionLost } or ObjectDisposedException)
        {
            // ObjectDisposedException: a reconnect replaced (and closed) the connection under this call.
            return call(Wait(Reconnect(host)));
        }
    }

    /// <summary>The connection to call on: the current one, or the one the running reconnect makes.</summary>
    private IGuestHost Connected()
    {
        Task<IGuestHost>? reconnect;
        IGuestHost current;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            reconnect = _reconnect is { IsCompleted: false } running ? running : null;
            current = _current;
        }

        return reconnect is null ? current : Wait(reconnect);
    }

    /// <summary>The reconnect that replaces <paramref name="broken"/>: the running one, or a new one; none if it was replaced already.</summary>
    private Task<IGuestHost> Reconnect(IGuestHost broken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_reconnect is { IsCompleted: false } running)
            {
                return running;
            }

            if (!ReferenceEquals(_current, broken))
            {
                return Task.FromResult(_current);
            }

            // Task.Run: the first try must not run here, under the lock.
            _reconnect = Task.Run(() => ReconnectAsync(broken));
            ThreadPool.QueueUserWorkItem(_ => ConnectionLost?.Invoke());
            return _reconnect;
        }
    }

    /// <summary>
    /// Subscribes a pending sink on the current connection, outside the lock (on a frozen daemon
    /// the call blocks). Whatever happens meanwhile wins: a reconnect that took the sink along,
    /// a dispose, an unsubscribe. On a connection found gone, the reconnect it starts attaches it.
    /// </summary>
    private void Attach(ChannelWriter<LifecycleEvent> sink, Pending pending)
    {
        while (true)
        {
            IGuestHost host;
            lock (_lock)
            {
                if (_disposed || !IsPending(sink, pending))
                {
                    return;
                }

                host = _current;
            }

            IDisposable inner;
            try
            {
                inner = host.SubscribeLifecycle(sink);
            }
            catch (Exception e) when (e is HostException { Kind: HostErrorKind.ConnectionLost } or ObjectDisposedException)
            {
                if (ReferenceEquals(Current(), host))
                {
                    TryReconnect(host);
                    return;
                }

                // Replaced under the call: try on the new connection.
                continue;
            }

            lock (_lock)
            {
                if (!_disposed && IsPending(sink, pending) && ReferenceEquals(_current, host))
                {
                    _subscriptions[sink] = inner;
                    return;
                }
            }

            // Made on a connection that was replaced (or closed) meanwhile.
            inner.Dispose();
        }
    }

    private bool IsPending(ChannelWriter<LifecycleEvent> sink, Pending pending) =>
        _subscriptions.TryGetValue(sink, out var now) && ReferenceEquals(now, pending);

    private static IGuestHost Wait(Task<IGuestHost> reconnect) => reconnect.GetAwaiter().GetResult();

    private void OnDisconnected()
    {
        // Nobody waits on a reconnect the close callback starts: its failure is only observed,
        // and Disconnected says that it gave up.
        _ = TryReconnect(Current())?.ContinueWith(
            static reconnect => _ = reconnect.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Starts (or joins) the reconnect that replaces <paramref name="broken"/>, unless the host is closed.</summary>
    private Task<IGuestHost>? TryReconnect(IGuestHost broken)
    {
        try
        {
            return Reconnect(broken);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private IGuestHost Current()
    {
        lock (_lock)
        {
            return _current;
        }
    }

    /// <summary>Tries to open a new connection until one answers or the give-up time comes, then puts it in place of <paramref name="broken"/>.</summary>
    /// <exception cref="HostException">Given up (kind <see cref="HostErrorKind.ConnectionLost"/>): the last try's error.</exception>
    private async Task<IGuestHost> ReconnectAsync(IGuestHost broken)
    {
        var lostAt = _time.GetUtcNow();
        var giveUp = lostAt + _giveUpAfter;
        if (_giveUpAt < giveUp)
        {
            giveUp = _giveUpAt.Value;
        }

        Exception? last = null;
        int tries = 0;
        try
        {
            while (true)
            {
                var left = giveUp - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    ThreadPool.QueueUserWorkItem(_ => Disconnected?.Invoke());
                    throw new HostException(
                        HostErrorKind.ConnectionLost,
                        $"lost the connection to '{Uri}' and could not reconnect in {(_time.GetUtcNow() - lostAt).TotalSeconds:0.#}s ({tries} tries): {last?.Message ?? "no time left to try"}",
                        last);
                }

                tries++;
                try
                {
                    // One try, bounded: a libvirtd that is frozen, not gone, accepts the
                    // connection and never answers. On the pool, as the host's calls are: one
                    // reconnect has at most giveUpAfter / connectTimeout tries hanging at once.
                    var fresh = await Bounded.RunAsync(
                        OpenAndRead, left < _connectTimeout ? left : _connectTimeout, _time, _closing.Token, static late => late.Dispose(), ownThread: false);
                    return Replace(broken, fresh);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    last = e;
                }

                left = giveUp - _time.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left < RetryPause ? left : RetryPause, _time, _closing.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new HostException(HostErrorKind.ConnectionLost, $"'{Uri}' was closed while reconnecting");
        }
    }

    /// <summary>
    /// A new connection with the sinks known now subscribed on it, and what is on it now (read
    /// after subscribing, so that no change falls between the two); closed again if any of it fails.
    /// </summary>
    private Fresh OpenAndRead()
    {
        List<ChannelWriter<LifecycleEvent>> sinks;
        lock (_lock)
        {
            sinks = [.. _subscriptions.Keys];
        }

        var fresh = new Fresh(_open(_requestedUri));
        try
        {
            foreach (var sink in sinks)
            {
                fresh.Subscriptions[sink] = fresh.Host.SubscribeLifecycle(sink);
            }

            fresh.Guests = fresh.Host.ListGuests();
            return fresh;
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }

    private IGuestHost Replace(IGuestHost broken, Fresh fresh)
    {
        var old = new List<IDisposable>();
        var reattach = new List<(ChannelWriter<LifecycleEvent> Sink, Pending Pending)>();
        lock (_lock)
        {
            if (_disposed)
            {
                fresh.Dispose();
                throw new OperationCanceledException();
            }

            foreach (var (sink, subscription) in fresh.Subscriptions)
            {
                if (_subscriptions.Remove(sink, out var previous))
                {
                    old.Add(previous);
                    _subscriptions[sink] = subscription;
                }
                else
                {
                    // Unsubscribed while the connection was being made.
                    old.Add(subscription);
                }
            }

            // Subscribed while the connection was being made: on the old one, or not yet.
            foreach (var sink in _subscriptions.Keys.Where(sink => !fresh.Subscriptions.ContainsKey(sink)).ToList())
            {
                old.Add(_subscriptions[sink]);
                var pending = new Pending();
                _subscriptions[sink] = pending;
                reattach.Add((sink, pending));
            }

            broken.Disconnected -= OnDisconnected;
            fresh.Host.Disconnected += OnDisconnected;
            _current = fresh.Host;
            Reconnects++;
            ReportWhatChanged(fresh.Guests);
        }

        // Closing the broken connection may itself wait on the peer (a remote close is a call):
        // never let it hold up the reconnect. Calls still running on it fail with
        // ObjectDisposedException or ConnectionLost and are retried on the new one.
        _ = Task.Run(() =>
        {
            reattach.ForEach(r => Attach(r.Sink, r.Pending));
            try
            {
                old.ForEach(static subscription => subscription.Dispose());
                broken.Dispose();
            }
            catch (Exception)
            {
                // A connection already gone: nothing more to close.
            }
        });
        return fresh.Host;
    }

    /// <summary>
    /// Events sent while the connection was down are lost: report every guest that is off (or
    /// gone) as if its event had arrived. Called under the lock.
    /// </summary>
    private void ReportWhatChanged(IReadOnlyList<Guest> guests)
    {
        var present = guests.Select(g => g.Uuid).ToHashSet();
        var events = guests
            .Where(g => g.State == GuestState.Shutoff)
            .Select(g => new LifecycleEvent(Uri, g.Uuid, g.Name, LifecycleEventKind.Stopped, StateReasons.StoppedDetailOf(g.StateReason)))
            .Concat(_known.Where(uuid => !present.Contains(uuid)).Select(uuid => new LifecycleEvent(Uri, uuid, "", LifecycleEventKind.Undefined, 0)))
            .ToList();
        _known = present;
        foreach (var sink in _subscriptions.Keys)
        {
            events.ForEach(lifecycleEvent => sink.TryWrite(lifecycleEvent));
        }
    }

    /// <summary>A connection made by one try: its subscriptions and what was on it.</summary>
    private sealed class Fresh(IGuestHost host) : IDisposable
    {
        internal IGuestHost Host { get; } = host;

        internal Dictionary<ChannelWriter<LifecycleEvent>, IDisposable> Subscriptions { get; } = [];

        internal IReadOnlyList<Guest> Guests { get; set; } = [];

        public void Dispose()
        {
            foreach (var subscription in Subscriptions.Values)
            {
                subscription.Dispose();
            }

            Host.Dispose();
        }
    }

    /// <summary>A subscription being made (or to be made by the next reconnect): nothing to dispose yet.</summary>
    private sealed class Pending : IDisposable
    {
        public void Dispose()
        {
        }
    }

    private sealed class Subscription(ReconnectingHost host, ChannelWriter<LifecycleEvent> sink) : IDisposable
    {
        public void Dispose()
        {
            IDisposable? inner;
            lock (host._lock)
            {
                host._subscriptions.Remove(sink, out inner);
            }

            inner?.Dispose();
        }
    }
}
