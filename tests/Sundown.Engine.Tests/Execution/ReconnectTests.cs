using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hosts;
using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Execution;

/// <summary>A stop through a connection that breaks mid-run, as when libvirtd restarts.</summary>
public sealed class ReconnectTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();
    private readonly List<SimulatedConnection> _connections = [];

    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_guest_that_went_off_while_the_connection_was_down_is_found_off_not_destroyed(bool closeCallbackFires)
    {
        var world = new SimulatedHost(_time);
        var slow = world.Add("slow", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var deaf = world.Add("deaf", new(AcpiDelay: null));
        using var host = ReconnectingHost.Open(world.Uri, Connect(world), TimeSpan.FromSeconds(5));
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 10s") };
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policy))], TimeSpan.FromSeconds(30), Limits.Default, Estimates.Default);
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time);
        // The connection breaks at 2 s, before "slow" goes off at 4 s: its STOPPED event is lost.
        _time.CreateTimer(_ => _connections[0].Break(closeCallbackFires), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);

        var report = await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, _time.GetUtcNow(), CancellationToken.None), TimeSpan.FromMinutes(5));

        Assert.Equal("shutdown", report.Single(g => g.Uuid == slow.Uuid).Outcome);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.Equal(1, host.Reconnects);
        if (closeCallbackFires)
        {
            // Told at once, the executor saw the re-read state at once, not at the timeout.
            var acpi = _recorder.StepsOf(slow.Uuid).Single();
            Assert.True(acpi.EndedAt - acpi.StartedAt < TimeSpan.FromSeconds(5), $"noticed after {acpi.EndedAt - acpi.StartedAt}");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_through_a_daemon_frozen_for_18_s_goes_on_once_it_thaws_and_ends_within_its_budget()
    {
        var world = new SimulatedHost(_time);
        var slow = world.Add("slow", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var deaf = world.Add("deaf", new(AcpiDelay: null));
        var daemon = new Daemon(world, _time);
        var start = _time.GetUtcNow();
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(60), _time);
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 30s", "destroy") };
        var budget = TimeSpan.FromSeconds(60);
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policy))], budget, Limits.Default, Estimates.Default);
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time);
        // SIGSTOP at 2 s: calls block, events stop ("slow" goes off at 4 s unheard) and new
        // connections are not answered until SIGCONT at 20 s; keepalive (2 s x 4) cuts the
        // frozen connection at 10 s.
        _time.CreateTimer(_ => { daemon.DownUntil = start + TimeSpan.FromSeconds(20); daemon.Connections[0].Freeze(); }, null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        _time.CreateTimer(_ => daemon.Connections[0].Break(tell: true), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        var report = await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, start, CancellationToken.None), TimeSpan.FromMinutes(5));

        Assert.Equal("shutdown", report.Single(g => g.Uuid == slow.Uuid).Outcome);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.Equal(1, host.Reconnects);
        Assert.True(_time.GetUtcNow() <= start + budget, $"ended {_time.GetUtcNow() - start} after the start of a {budget} budget");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_call_that_finds_the_connection_gone_waits_out_a_restart_then_is_retried_on_the_new_one()
    {
        var world = new SimulatedHost(_time);
        var web = world.Add("web", new(AcpiDelay: null));
        var db = world.Add("db", new(AcpiDelay: TimeSpan.Zero));
        var daemon = new Daemon(world, _time);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        var events = Channel.CreateUnbounded<LifecycleEvent>();
        using var subscription = host.SubscribeLifecycle(events.Writer);
        host.ListGuests();
        // libvirtd goes away for 3 s; meanwhile "db" is destroyed and its event is lost.
        var restartedAt = _time.GetUtcNow() + TimeSpan.FromSeconds(3);
        daemon.DownUntil = restartedAt;
        daemon.Connections[0].Break(tell: false);
        GoesOffAtOnce(world, db);

        var (status, answeredAt) = await VirtualClock.RunAsync(_time, () => Task.Run(() => (host.GetStatus(web.Uuid), _time.GetUtcNow())), TimeSpan.FromMinutes(1));

        Assert.Equal(GuestState.Running, status.State);
        Assert.Equal(1, host.Reconnects);
        Assert.True(daemon.Tries > 2, $"{daemon.Tries} tries: the daemon was down for 3 s");
        // Answered by the first try after the restart: at most one pause (and a tick) later.
        Assert.InRange(answeredAt, restartedAt, restartedAt + ReconnectingHost.RetryPause + VirtualClock.Tick);
        Assert.True(events.Reader.TryRead(out var reread), "the lost STOPPED event was not reported");
        Assert.Equal(new LifecycleEvent(world.Uri, db.Uuid, "db", LifecycleEventKind.Stopped, 0), reread);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reconnect_gives_up_at_its_deadline_whether_the_daemon_refuses_or_hangs(bool hangs)
    {
        var world = new SimulatedHost(_time);
        var web = world.Add("web", new(AcpiDelay: null));
        using var daemon = new Daemon(world, _time);
        var giveUpAfter = TimeSpan.FromSeconds(20);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, giveUpAfter, _time);
        var gaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Disconnected += () => gaveUp.TrySetResult();
        daemon.DownUntil = DateTimeOffset.MaxValue;
        daemon.Hangs = hangs;
        var lostAt = _time.GetUtcNow();
        daemon.Connections[0].Break(tell: false);

        var (error, failedAt) = await VirtualClock.RunAsync(_time, () => Task.Run(() => Fails(() => host.GetStatus(web.Uuid))), TimeSpan.FromMinutes(2));

        Assert.Equal(HostErrorKind.ConnectionLost, error.Kind);
        Assert.Contains(world.Uri, error.Message);
        // Given up exactly at its deadline (the reconnect says when); the blocked call wakes a
        // moment later, and the virtual clock may tick on meanwhile.
        Assert.Contains("could not reconnect in 20s", error.Message);
        Assert.InRange(failedAt, lostAt + giveUpAfter, lostAt + giveUpAfter + ReconnectingHost.RetryPause);
        Assert.Equal(0, host.Reconnects);
        await gaveUp.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_reconnect_never_tries_past_an_absolute_give_up_time_earlier_than_its_own()
    {
        var world = new SimulatedHost(_time);
        var web = world.Add("web", new(AcpiDelay: null));
        var daemon = new Daemon(world, _time);
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(4);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(60), _time, giveUpAt: deadline);
        daemon.DownUntil = DateTimeOffset.MaxValue;
        daemon.Connections[0].Break(tell: false);

        var (error, failedAt) = await VirtualClock.RunAsync(_time, () => Task.Run(() => Fails(() => host.GetStatus(web.Uuid))), TimeSpan.FromMinutes(2));

        Assert.Equal(HostErrorKind.ConnectionLost, error.Kind);
        Assert.Contains("could not reconnect in 4s", error.Message);
        Assert.InRange(failedAt, deadline, deadline + ReconnectingHost.RetryPause);

        // Past it, a call fails at once: no new reconnect waits.
        var calledAt = _time.GetUtcNow();
        var (again, againAt) = await VirtualClock.RunAsync(_time, () => Task.Run(() => Fails(() => host.GetStatus(web.Uuid))), TimeSpan.FromMinutes(1));
        Assert.Equal(HostErrorKind.ConnectionLost, again.Kind);
        Assert.InRange(againAt, calledAt, calledAt + ReconnectingHost.RetryPause);
    }

    [Fact(Timeout = 60_000)]
    public async Task Calls_that_find_the_connection_gone_at_once_share_one_reconnect()
    {
        var world = new SimulatedHost(_time);
        var guests = Enumerable.Range(0, 8).Select(i => world.Add($"g{i}", new(AcpiDelay: null))).ToList();
        var daemon = new Daemon(world, _time);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        daemon.DownUntil = _time.GetUtcNow() + TimeSpan.FromSeconds(2);
        daemon.Connections[0].Break(tell: false);

        var states = await VirtualClock.RunAsync(
            _time, () => Task.WhenAll(guests.Select(g => Task.Run(() => host.GetStatus(g.Uuid).State))), TimeSpan.FromMinutes(1));

        Assert.All(states, state => Assert.Equal(GuestState.Running, state));
        Assert.Equal(1, host.Reconnects);
        // The first connection and one new one; the tries of a single reconnect, not eight.
        Assert.Equal(2, daemon.Connections.Count);
        Assert.InRange(daemon.Tries, 2, 2 + (int)(TimeSpan.FromSeconds(2) / ReconnectingHost.RetryPause) + 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_close_callback_alone_reconnects_and_reports_what_went_off_meanwhile()
    {
        var world = new SimulatedHost(_time);
        var db = world.Add("db", new(AcpiDelay: TimeSpan.Zero));
        var daemon = new Daemon(world, _time);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        var events = Channel.CreateUnbounded<LifecycleEvent>();
        using var subscription = host.SubscribeLifecycle(events.Writer);
        daemon.Connections[0].Break(tell: false);
        GoesOffAtOnce(world, db);

        daemon.Connections[0].Break(tell: true);
        var reread = await events.Reader.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new LifecycleEvent(world.Uri, db.Uuid, "db", LifecycleEventKind.Stopped, 0), reread);
        Assert.Equal(1, host.Reconnects);
        // Closed off the reconnect's path, as a remote close may wait on the peer.
        Assert.True(SpinWait.SpinUntil(() => daemon.Connections[0].Disposed, TimeSpan.FromSeconds(10)), "the broken connection was not closed");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_subscription_made_while_the_connection_is_down_reconnects_and_is_made_on_the_new_one()
    {
        var world = new SimulatedHost(_time);
        var db = world.Add("db", new(AcpiDelay: TimeSpan.Zero));
        var web = world.Add("web", new(AcpiDelay: TimeSpan.Zero));
        var daemon = new Daemon(world, _time);
        using var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        var events = Channel.CreateUnbounded<LifecycleEvent>();
        daemon.Connections[0].Break(tell: false);
        GoesOffAtOnce(world, db);

        using var subscription = host.SubscribeLifecycle(events.Writer);
        var reread = await events.Reader.ReadAsync(TestContext.Current.CancellationToken);
        GoesOffAtOnce(world, web);
        var live = await events.Reader.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new LifecycleEvent(world.Uri, db.Uuid, "db", LifecycleEventKind.Stopped, 0), reread);
        Assert.Equal((web.Uuid, LifecycleEventKind.Stopped), (live.Uuid, live.Kind));
        Assert.Equal(1, host.Reconnects);
    }

    [Fact(Timeout = 60_000)]
    public void Disposing_the_host_waits_on_a_frozen_daemon_only_a_moment_and_the_close_ends_later()
    {
        var world = new SimulatedHost(_time);
        var daemon = new Daemon(world, _time);
        var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        var frozen = daemon.Connections[0];
        frozen.Freeze();
        // Real time: Dispose's wait is on the real clock, which the end of a stop runs on.
        var clock = System.Diagnostics.Stopwatch.StartNew();

        host.Dispose();

        clock.Stop();
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, ReconnectingHost.CloseWait + TimeSpan.FromSeconds(1));
        Assert.False(frozen.Disposed);
        // Keepalive cuts the connection: the close left running then ends.
        frozen.Break(tell: false);
        Assert.True(SpinWait.SpinUntil(() => frozen.Disposed, TimeSpan.FromSeconds(10)), "the connection was never closed");
    }

    [Fact(Timeout = 60_000)]
    public async Task Disposing_the_host_mid_reconnect_ends_the_waiting_call_and_closes_a_late_connection()
    {
        var world = new SimulatedHost(_time);
        var web = world.Add("web", new(AcpiDelay: null));
        using var daemon = new Daemon(world, _time);
        var host = ReconnectingHost.Open(world.Uri, daemon.Open, TimeSpan.FromSeconds(30), _time);
        daemon.Hangs = true;
        daemon.Connections[0].Break(tell: false);
        var call = Task.Run(() => Fails(() => host.GetStatus(web.Uuid)));
        await daemon.Hanging.WaitAsync(TestContext.Current.CancellationToken);

        host.Dispose();
        var (error, _) = await call;
        daemon.Release();
        var late = await daemon.Late.Task.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HostErrorKind.ConnectionLost, error.Kind);
        Assert.True(SpinWait.SpinUntil(() => late.Disposed, TimeSpan.FromSeconds(10)), "the late connection was left open");
    }

    /// <summary>
    /// The guest (ACPI delay zero) shuts itself down now, straight on the host: not through the
    /// connection, and without waiting on virtual time as a simulated destroy does.
    /// </summary>
    private void GoesOffAtOnce(SimulatedHost world, Guest guest)
    {
        world.Shutdown(guest.Uuid, ShutdownMethod.Acpi);
        _time.Advance(TimeSpan.Zero);
        Assert.Equal(GuestState.Shutoff, world.GetStatus(guest.Uuid).State);
    }

    private (HostException Error, DateTimeOffset At) Fails(Action call)
    {
        try
        {
            call();
        }
        catch (HostException e)
        {
            return (e, _time.GetUtcNow());
        }

        throw new InvalidOperationException("the call succeeded");
    }

    private Func<string, IGuestHost> Connect(SimulatedHost world) => _ =>
    {
        var connection = new SimulatedConnection(world);
        _connections.Add(connection);
        return connection;
    };

    /// <summary>
    /// libvirtd as the opener sees it: up, down (opens refused) until a time, or hanging (opens
    /// accepted and never answered, as a frozen daemon does).
    /// </summary>
    private sealed class Daemon(SimulatedHost world, TimeProvider time) : IDisposable
    {
        private readonly ManualResetEventSlim _released = new();
        private int _tries;

        internal DateTimeOffset DownUntil { get; set; } = DateTimeOffset.MinValue;

        internal volatile bool Hangs;

        /// <summary>Released once an open hangs.</summary>
        internal SemaphoreSlim Hanging { get; } = new(0);

        /// <summary>The connection a hanging open made once released.</summary>
        internal TaskCompletionSource<SimulatedConnection> Late { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal List<SimulatedConnection> Connections { get; } = [];

        internal int Tries => Volatile.Read(ref _tries);

        internal IGuestHost Open(string uri)
        {
            Interlocked.Increment(ref _tries);
            if (Hangs)
            {
                Hanging.Release();
                _released.Wait();
                var late = new SimulatedConnection(world);
                Late.TrySetResult(late);
                return late;
            }

            if (time.GetUtcNow() < DownUntil)
            {
                throw new HostException(HostErrorKind.ConnectionLost, "Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused");
            }

            var connection = new SimulatedConnection(world);
            lock (Connections)
            {
                Connections.Add(connection);
            }

            return connection;
        }

        internal void Release() => _released.Set();

        public void Dispose() => _released.Set();
    }
}
