using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// An in-memory host on a virtual clock, with guests that behave as told: shut down some
/// seconds after the power button, ignore it, save slowly, fail to save. It follows QEMU's
/// rules where they matter (a guest not running cannot be asked to shut down, a transient one
/// cannot be saved, destroying a guest mid-save makes the save fail, an aborted save leaves it
/// running) and records what it was asked.
/// </summary>
/// <remarks>
/// It also does what a real libvirtd does to its callers' time: a call blocks its caller (on
/// virtual time) for as long as the real one would; a destroy takes <see cref="DestroyTime"/>
/// (QEMU's SIGTERM, and SIGKILL if it must); at most <see cref="MaxClientRequests"/> calls are
/// served at once and the next waits until one returns (libvirtd's <c>max_client_requests</c>);
/// and <see cref="Freeze"/> makes it a libvirtd stopped with SIGSTOP: every call, new or under
/// way, and every event waits until it thaws.
/// </remarks>
internal sealed partial class SimulatedHost(TimeProvider time, string uri = "sim:///host") : IGuestHost
{
    /// <summary>libvirtd's default <c>max_client_requests</c> (libvirtd.conf): calls of one connection served at once.</summary>
    internal const int MaxClientRequests = 5;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SimulatedGuest> _guests = [];
    private readonly List<SimulatedGuest> _gone = [];
    private readonly List<ChannelWriter<LifecycleEvent>> _sinks = [];
    private readonly VirtualSlots _clientRequests = new(MaxClientRequests);
    private readonly VirtualGate _thawed = new(open: true);
    private readonly List<LifecycleEvent> _heldEvents = [];
    private ITimer? _thawTimer;
    private readonly List<(DateTimeOffset At, string Call, string? Uuid)> _callLog = [];
    private int _savesNow;
    private int _callsNow;
    private int _longNow;

    /// <param name="AcpiDelay">Time from the power button to off; null: it ignores the button.</param>
    /// <param name="AgentDelay">Time from an agent request to off; null: it has no agent.</param>
    /// <param name="DestroyTime">How long its destroy takes; null: the host's <see cref="DestroyTime"/>.</param>
    /// <param name="AgentCallTime">How long an agent shutdown request blocks its caller before it answers (a slow agent).</param>
    internal sealed record Behaviour(
        TimeSpan? AcpiDelay,
        TimeSpan? AgentDelay = null,
        TimeSpan SaveTime = default,
        bool SaveFails = false,
        TimeSpan? DestroyTime = null,
        TimeSpan AgentCallTime = default);

    internal sealed class SimulatedGuest(Guest info, Behaviour behaviour)
    {
        internal Guest Info { get; set; } = info;

        internal Behaviour Behaviour { get; } = behaviour;

        internal ITimer? PendingOff { get; set; }

        internal VirtualGate? Saving { get; set; }

        /// <summary>Why the running save ended early (destroyed, or its job aborted); null while it runs on.</summary>
        internal string? SaveAborted { get; set; }

        /// <summary>When it went off, on the virtual clock; null while it runs.</summary>
        internal DateTimeOffset? OffAt { get; set; }

        /// <summary>shutdown, destroyed or saved.</summary>
        internal string? OffBy { get; set; }

        /// <summary>Whether it was paused when it was saved: a restore brings it back paused.</summary>
        internal bool SavedPaused { get; set; }

        /// <summary>How many of the next starts fail with a passing error, as a busy host's do.</summary>
        internal int StartFailures { get; set; }

        /// <summary>Fresh boots since it was added; a restore from a saved image is not one.</summary>
        internal int Boots { get; set; }
    }

    // The simulated host is the guests' world, never disconnected itself; SimulatedConnection
    // plays a connection to it that can break.
    public event Action? Disconnected
    {
        add { }
        remove { }
    }

    public string Uri => uri;

    internal int MaxConcurrentSaves { get; private set; }

    /// <summary>The most calls it served at once: never more than <see cref="MaxClientRequests"/>.</summary>
    internal int MaxConcurrentCalls { get; private set; }

    /// <summary>The most long calls (saves, agent requests) under way at once.</summary>
    internal int MaxConcurrentLongCalls { get; private set; }

    /// <summary>False for a driver without jobs (libvirt's test driver): AbortJob fails with NO_SUPPORT.</summary>
    internal bool SupportsJobs { get; init; } = true;

    /// <summary>Every call it was asked, in order, with when it was asked (served then, or once a slot came free and the host thawed).</summary>
    internal IReadOnlyList<(DateTimeOffset At, string Call, string? Uuid)> CallLog
    {
        get
        {
            lock (_lock)
            {
                return [.. _callLog];
            }
        }
    }

    /// <summary>How many running saves an AbortJob ended.</summary>
    internal int AbortedJobs { get; private set; }

    /// <summary>How long a destroy takes, for guests whose behaviour does not say: QEMU's SIGTERM and exit take a second or two.</summary>
    internal TimeSpan DestroyTime { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Calls being served now (blocked ones included).</summary>
    internal int CallsNow => Volatile.Read(ref _callsNow);

    /// <summary>
    /// Freezes the host as a SIGSTOP freezes libvirtd: no call is answered, and no event sent,
    /// until it thaws, after <paramref name="duration"/> of virtual time or at <see cref="Thaw"/>.
    /// </summary>
    internal void Freeze(TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _thawed.Close();
            _thawTimer?.Dispose();
            _thawTimer = duration is { } d ? time.CreateTimer(_ => Thaw(), null, d, Timeout.InfiniteTimeSpan) : null;
        }
    }

    internal void Thaw()
    {
        lock (_lock)
        {
            _thawed.Open();
            foreach (var held in _heldEvents)
            {
                _sinks.ForEach(sink => sink.TryWrite(held));
            }

            _heldEvents.Clear();
        }
    }

    /// <summary>The guest begins to shut down by itself (someone else pressed its power button): off after <paramref name="delay"/>.</summary>
    internal void BeginShutdown(string uuid, TimeSpan delay)
    {
        lock (_lock)
        {
            var guest = _guests[uuid];
            guest.Info = guest.Info with { State = GuestState.Shutdown, StateReason = 1 };
            Publish(guest.Info, LifecycleEventKind.Shutdown, 0);
            guest.PendingOff = time.CreateTimer(_ => GoOff(uuid, reason: StateReasons.ShutoffShutdown, detail: StateReasons.StoppedShutdown, by: "shutdown"), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Every guest it ever had, including transient ones gone since they stopped.</summary>
    internal IReadOnlyCollection<SimulatedGuest> Guests
    {
        get
        {
            lock (_lock)
            {
                return [.. _guests.Values, .. _gone];
            }
        }
    }

    internal Guest Add(string name, Behaviour behaviour, GuestState state = GuestState.Running, bool persistent = true, ulong memoryKiB = 1024 * 1024)
    {
        var guest = new Guest(uri, name, Guid.NewGuid().ToString(), state, state == GuestState.Paused ? 1 : 1, persistent, false, false, memoryKiB, 1, null, true, behaviour.AgentDelay is not null, null);
        lock (_lock)
        {
            _guests[guest.Uuid] = new SimulatedGuest(guest, behaviour);
        }

        return guest;
    }

    internal SimulatedGuest this[string uuid]
    {
        get
        {
            lock (_lock)
            {
                return _guests[uuid];
            }
        }
    }

    /// <summary>Removes a guest as an undefine of a transient guest would, with its event.</summary>
    internal void Undefine(string uuid)
    {
        lock (_lock)
        {
            var guest = _guests[uuid];
            _guests.Remove(uuid);
            guest.Info = guest.Info with { State = GuestState.Shutoff };
            _gone.Add(guest);
            Publish(guest.Info, LifecycleEventKind.Undefined, 0);
        }
    }

    public IReadOnlyList<Guest> ListGuests() => Serve(nameof(ListGuests), null, () =>
    {
        lock (_lock)
        {
            return _guests.Values.Select(g => g.Info).OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        }
    });

    public GuestStatus GetStatus(string uuid) => Serve(nameof(GetStatus), uuid, () =>
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            return new GuestStatus(guest.Info.State, guest.Info.StateReason);
        }
    });

    /// <summary>An agent request blocks for the guest's <see cref="Behaviour.AgentCallTime"/>, as QEMU's waits for the agent's answer.</summary>
    public void Shutdown(string uuid, ShutdownMethod method) =>
        Serve(method == ShutdownMethod.Agent ? "Shutdown(agent)" : nameof(Shutdown), uuid, () => ShutdownNow(uuid, method), isLong: method == ShutdownMethod.Agent);

    private void ShutdownNow(string uuid, ShutdownMethod method)
    {
        TimeSpan? delay;
        TimeSpan answerAfter;
        lock (_lock)
        {
            var guest = Find(uuid);
            // QEMU refuses a request to a guest not running, one already shutting down too (OPERATION_INVALID).
            RequireState(guest, GuestState.Running, "domain is not running");
            delay = method == ShutdownMethod.Agent
                ? guest.Behaviour.AgentDelay ?? throw new HostException(HostErrorKind.Failed, "QEMU guest agent is not connected")
                : guest.Behaviour.AcpiDelay;
            answerAfter = method == ShutdownMethod.Agent ? guest.Behaviour.AgentCallTime : TimeSpan.Zero;
        }

        Sleep(answerAfter);

        lock (_lock)
        {
            var guest = Find(uuid);
            if (delay is { } d && guest.PendingOff is null && guest.Info.State.IsActive())
            {
                guest.PendingOff = time.CreateTimer(_ => GoOff(uuid, reason: StateReasons.ShutoffShutdown, detail: StateReasons.StoppedShutdown, by: "shutdown"), null, d, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Blocks its caller for the destroy's time, then the guest is off (QEMU killed: a save under way fails at once).</summary>
    public void Destroy(string uuid) => Serve(nameof(Destroy), uuid, () =>
    {
        SimulatedGuest guest;
        TimeSpan took;
        lock (_lock)
        {
            guest = Find(uuid);
            if (!guest.Info.State.IsActive())
            {
                throw new HostException(HostErrorKind.InvalidState, "Requested operation is not valid: domain is not running");
            }

            took = guest.Behaviour.DestroyTime ?? DestroyTime;
            if (guest.Saving is { } saving)
            {
                guest.SaveAborted = "operation failed: domain is not running (destroyed during the save)";
                saving.Open();
            }
        }

        Sleep(took);
        lock (_lock)
        {
            if (guest.Info.State.IsActive())
            {
                GoOffLocked(guest, reason: StateReasons.ShutoffDestroyed, detail: StateReasons.StoppedDestroyed, by: "destroyed");
            }
        }
    });

    public void Suspend(string uuid) => Serve(nameof(Suspend), uuid, () => Change(uuid, GuestState.Running, GuestState.Paused, 1, LifecycleEventKind.Suspended));

    public void Resume(string uuid) => Serve(nameof(Resume), uuid, () => Change(uuid, GuestState.Paused, GuestState.Running, 5, LifecycleEventKind.Resumed));

    public void Wakeup(string uuid) => Serve(nameof(Wakeup), uuid, () => Change(uuid, GuestState.PmSuspended, GuestState.Running, 8, LifecycleEventKind.Started));

    /// <summary>Blocks its caller until the save is done on the virtual clock, as libvirt's call does.</summary>
    public void ManagedSave(string uuid) => Serve(nameof(ManagedSave), uuid, () => ManagedSaveNow(uuid), isLong: true);

    private void ManagedSaveNow(string uuid)
    {
        VirtualGate done;
        SimulatedGuest guest;
        lock (_lock)
        {
            guest = Find(uuid);
            if (!guest.Info.Persistent)
            {
                throw new HostException(HostErrorKind.InvalidState, "cannot do managed save for transient domain");
            }

            if (!guest.Info.State.IsActive())
            {
                throw new HostException(HostErrorKind.InvalidState, "domain is not running");
            }

            if (guest.Behaviour.SaveFails)
            {
                throw new HostException(HostErrorKind.Failed, "operation failed: migration to file failed: No space left on device");
            }

            done = new VirtualGate();
            guest.Saving = done;
            guest.SaveAborted = null;
            MaxConcurrentSaves = Math.Max(MaxConcurrentSaves, ++_savesNow);
        }

        using (time.CreateTimer(_ => done.Open(), null, guest.Behaviour.SaveTime, Timeout.InfiniteTimeSpan))
        {
            done.Wait();
        }

        lock (_lock)
        {
            _savesNow--;
            guest.Saving = null;
            if (guest.SaveAborted is { } why)
            {
                throw new HostException(HostErrorKind.Failed, why);
            }

            guest.SavedPaused = guest.Info.State == GuestState.Paused;
            guest.Info = guest.Info with { ManagedSave = true };
            GoOffLocked(guest, reason: StateReasons.ShutoffSaved, detail: StateReasons.StoppedSaved, by: "saved");
        }
    }

    /// <summary>Ends a running save early: it fails with "operation aborted", and the guest runs on (QEMU's rule).</summary>
    public void AbortJob(string uuid) => Serve(nameof(AbortJob), uuid, () =>
    {
        lock (_lock)
        {
            if (!SupportsJobs)
            {
                throw new HostException(HostErrorKind.Unsupported, "this function is not supported by the connection driver: virDomainAbortJob");
            }

            var guest = Find(uuid);
            if (guest.Saving is not { } saving)
            {
                throw new HostException(HostErrorKind.InvalidState, "Requested operation is not valid: no job is active on the domain");
            }

            guest.SaveAborted = "operation aborted: job 'domain save' canceled by client";
            AbortedJobs++;
            saving.Open();
        }
    });

    /// <summary>From the managed-save image when there is one, in the state it was saved in; else a boot.</summary>
    public void Start(string uuid, bool paused = false) => Serve(nameof(Start), uuid, () =>
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            if (guest.Info.State.IsActive())
            {
                throw new HostException(HostErrorKind.InvalidState, "Requested operation is not valid: domain is already running");
            }

            if (guest.StartFailures > 0)
            {
                guest.StartFailures--;
                throw new HostException(HostErrorKind.Failed, "failed to load cgroup BPF prog: Resource temporarily unavailable");
            }

            bool restored = guest.Info.ManagedSave;
            var state = paused || (restored && guest.SavedPaused) ? GuestState.Paused : GuestState.Running;
            guest.Info = guest.Info with { State = state, StateReason = restored ? 3 : 1, ManagedSave = false };
            guest.Boots += restored ? 0 : 1;
            guest.OffAt = null;
            guest.OffBy = null;
            Publish(guest.Info, LifecycleEventKind.Started, restored ? 2 : 0);
        }
    });

    public string? GetMetadata(string uuid, string namespaceUri) => null;

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => throw new NotSupportedException();

    /// <summary>Given, every event subscription fails with it: libvirt's access rules refusing events, say.</summary>
    internal HostException? SubscribeFailure { get; set; }

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        if (SubscribeFailure is { } failure)
        {
            throw failure;
        }

        lock (_lock)
        {
            _sinks.Add(sink);
        }

        return new Unsubscribe(this, sink);
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// Serves one call as libvirtd does: it waits for one of the connection's request slots,
    /// is not answered while the host is frozen, and holds its slot until it returns.
    /// </summary>
    private T Serve<T>(string name, string? uuid, Func<T> call, bool isLong = false)
    {
        lock (_lock)
        {
            _callLog.Add((time.GetUtcNow(), name, uuid));
        }

        _clientRequests.Enter();
        int now = Interlocked.Increment(ref _callsNow);
        try
        {
            _thawed.Wait();
            lock (_lock)
            {
                MaxConcurrentCalls = Math.Max(MaxConcurrentCalls, now);
                if (isLong)
                {
                    MaxConcurrentLongCalls = Math.Max(MaxConcurrentLongCalls, ++_longNow);
                }
            }

            try
            {
                return call();
            }
            finally
            {
                if (isLong)
                {
                    lock (_lock)
                    {
                        _longNow--;
                    }
                }
            }
        }
        finally
        {
            // A call under way when the host froze is answered only once it thaws.
            _thawed.Wait();
            Interlocked.Decrement(ref _callsNow);
            _clientRequests.Exit();
        }
    }

    private void Serve(string name, string? uuid, Action call, bool isLong = false) => Serve(
        name,
        uuid,
        () =>
        {
            call();
            return true;
        },
        isLong);

    /// <summary>Blocks the calling thread for <paramref name="duration"/> of virtual time.</summary>
    private void Sleep(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        var done = new VirtualGate();
        using var timer = time.CreateTimer(_ => done.Open(), null, duration, Timeout.InfiniteTimeSpan);
        done.Wait();
    }

    private void GoOff(string uuid, int reason, int detail, string by)
    {
        lock (_lock)
        {
            if (_guests.TryGetValue(uuid, out var guest) && guest.Info.State.IsActive() && guest.Saving is null)
            {
                GoOffLocked(guest, reason, detail, by);
            }
        }
    }

    private void GoOffLocked(SimulatedGuest guest, int reason, int detail, string by)
    {
        guest.PendingOff?.Dispose();
        guest.PendingOff = null;
        guest.Info = guest.Info with { State = GuestState.Shutoff, StateReason = reason };
        guest.OffAt = time.GetUtcNow();
        guest.OffBy = by;
        Publish(guest.Info, LifecycleEventKind.Stopped, detail);
        if (!guest.Info.Persistent)
        {
            _guests.Remove(guest.Info.Uuid);
            _gone.Add(guest);
        }
    }

    private void Change(string uuid, GuestState from, GuestState to, int reason, LifecycleEventKind kind)
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            RequireState(guest, from, $"domain is not {from.ToContractName()}");
            guest.Info = guest.Info with { State = to, StateReason = reason };
            Publish(guest.Info, kind, 0);
        }
    }

    private static void RequireState(SimulatedGuest guest, GuestState state, string message)
    {
        if (guest.Info.State != state)
        {
            throw new HostException(HostErrorKind.InvalidState, $"Requested operation is not valid: {message}");
        }
    }

    private SimulatedGuest Find(string uuid) =>
        _guests.TryGetValue(uuid, out var guest) ? guest : throw new HostException(HostErrorKind.GuestNotFound, $"no domain with UUID {uuid}");

    /// <summary>Sends an event to every subscriber; a frozen host holds it until it thaws.</summary>
    private void Publish(Guest guest, LifecycleEventKind kind, int detail)
    {
        var lifecycleEvent = new LifecycleEvent(uri, guest.Uuid, guest.Name, kind, detail);
        if (!_thawed.IsOpen)
        {
            _heldEvents.Add(lifecycleEvent);
            return;
        }

        foreach (var sink in _sinks)
        {
            sink.TryWrite(lifecycleEvent);
        }
    }

    private sealed class Unsubscribe(SimulatedHost host, ChannelWriter<LifecycleEvent> sink) : IDisposable
    {
        public void Dispose()
        {
            lock (host._lock)
            {
                host._sinks.Remove(sink);
            }
        }
    }
}
