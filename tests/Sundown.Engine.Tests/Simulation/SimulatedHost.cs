using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// An in-memory host on a virtual clock, with guests that behave as told: shut down some
/// seconds after the power button, ignore it, save slowly, fail to save. It follows QEMU's
/// rules where they matter (a paused guest cannot be shut down, a transient one cannot be
/// saved, destroying a guest mid-save makes the save fail) and records what it was asked.
/// </summary>
internal sealed class SimulatedHost(TimeProvider time, string uri = "sim:///host") : IGuestHost
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SimulatedGuest> _guests = [];
    private readonly List<SimulatedGuest> _gone = [];
    private readonly List<ChannelWriter<LifecycleEvent>> _sinks = [];
    private int _savesNow;

    /// <param name="AcpiDelay">Time from the power button to off; null: it ignores the button.</param>
    /// <param name="AgentDelay">Time from an agent request to off; null: it has no agent.</param>
    internal sealed record Behaviour(TimeSpan? AcpiDelay, TimeSpan? AgentDelay = null, TimeSpan SaveTime = default, bool SaveFails = false);

    internal sealed class SimulatedGuest(Guest info, Behaviour behaviour)
    {
        internal Guest Info { get; set; } = info;

        internal Behaviour Behaviour { get; } = behaviour;

        internal ITimer? PendingOff { get; set; }

        internal ManualResetEventSlim? Saving { get; set; }

        internal bool SaveAborted { get; set; }

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

    public IReadOnlyList<Guest> ListGuests()
    {
        lock (_lock)
        {
            return [.. _guests.Values.Select(g => g.Info).OrderBy(g => g.Name, StringComparer.Ordinal)];
        }
    }

    public GuestStatus GetStatus(string uuid)
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            return new GuestStatus(guest.Info.State, guest.Info.StateReason);
        }
    }

    public void Shutdown(string uuid, ShutdownMethod method)
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            RequireState(guest, GuestState.Running, "domain is not running");
            var delay = method == ShutdownMethod.Agent
                ? guest.Behaviour.AgentDelay ?? throw new HostException(HostErrorKind.Failed, "QEMU guest agent is not connected")
                : guest.Behaviour.AcpiDelay;
            if (delay is { } d && guest.PendingOff is null)
            {
                guest.PendingOff = time.CreateTimer(_ => GoOff(uuid, reason: 1, detail: 0, by: "shutdown"), null, d, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Destroy(string uuid)
    {
        lock (_lock)
        {
            var guest = Find(uuid);
            if (!guest.Info.State.IsActive())
            {
                throw new HostException(HostErrorKind.InvalidState, "domain is not running");
            }

            if (guest.Saving is { } saving)
            {
                guest.SaveAborted = true;
                saving.Set();
            }

            GoOffLocked(guest, reason: 2, detail: 1, by: "destroyed");
        }
    }

    public void Suspend(string uuid) => Change(uuid, GuestState.Running, GuestState.Paused, 1, LifecycleEventKind.Suspended);

    public void Resume(string uuid) => Change(uuid, GuestState.Paused, GuestState.Running, 5, LifecycleEventKind.Resumed);

    public void Wakeup(string uuid) => Change(uuid, GuestState.PmSuspended, GuestState.Running, 8, LifecycleEventKind.Started);

    /// <summary>Blocks its caller until the save is done on the virtual clock, as libvirt's call does.</summary>
    public void ManagedSave(string uuid)
    {
        ManualResetEventSlim done;
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

            done = new ManualResetEventSlim();
            guest.Saving = done;
            MaxConcurrentSaves = Math.Max(MaxConcurrentSaves, ++_savesNow);
            var timer = time.CreateTimer(_ => done.Set(), null, guest.Behaviour.SaveTime, Timeout.InfiniteTimeSpan);
        }

        done.Wait();
        lock (_lock)
        {
            _savesNow--;
            guest.Saving = null;
            if (guest.SaveAborted)
            {
                throw new HostException(HostErrorKind.Failed, "operation failed: domain is not running (destroyed during the save)");
            }

            guest.SavedPaused = guest.Info.State == GuestState.Paused;
            guest.Info = guest.Info with { ManagedSave = true };
            GoOffLocked(guest, reason: 5, detail: 4, by: "saved");
        }
    }

    /// <summary>From the managed-save image when there is one, in the state it was saved in; else a boot.</summary>
    public void Start(string uuid, bool paused = false)
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
    }

    public string? GetMetadata(string uuid, string namespaceUri) => null;

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => throw new NotSupportedException();

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        lock (_lock)
        {
            _sinks.Add(sink);
        }

        return new Unsubscribe(this, sink);
    }

    public void Dispose()
    {
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

    private void Publish(Guest guest, LifecycleEventKind kind, int detail)
    {
        foreach (var sink in _sinks)
        {
            sink.TryWrite(new LifecycleEvent(uri, guest.Uuid, guest.Name, kind, detail));
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
