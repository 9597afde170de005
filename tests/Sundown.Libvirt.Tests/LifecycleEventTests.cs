using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Libvirt.Tests;

[CollectionDefinition(nameof(EventLoopCollection), DisableParallelization = true)]
public sealed class EventLoopCollection;

/// <summary>
/// Lifecycle events through the event-loop thread. Not run in parallel with other tests:
/// it checks that the loop thread stops when the last subscription ends.
/// </summary>
[Collection(nameof(EventLoopCollection))]
public sealed class LifecycleEventTests
{
    [Fact(Timeout = 30_000)]
    public async Task Destroying_a_guest_delivers_STOPPED_through_the_event_loop_which_then_stops()
    {
        using var file = TestHostFile.Write([new("victim of events", GuestState.Running, false, false, 131072, 1, null)]);
        using var host = LibvirtHost.Open(file.Uri);
        string uuid = host.ListGuests().Single().Uuid;
        var events = Channel.CreateUnbounded<LifecycleEvent>();

        using (host.SubscribeLifecycle(events.Writer))
        {
            Assert.True(LibvirtEventLoop.IsRunning);
            host.Destroy(uuid);
            var received = await events.Reader.ReadAsync(TestContext.Current.CancellationToken);

            // STOPPED / DESTROYED (5/1), for the right guest, named as it is.
            Assert.Equal(new LifecycleEvent(file.Uri, uuid, "victim of events", LifecycleEventKind.Stopped, 1), received);
        }

        Assert.False(LibvirtEventLoop.IsRunning);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_loop_restarts_for_a_new_subscription_and_events_reach_every_subscriber()
    {
        using var file = TestHostFile.Write([new("a", GuestState.Running, false, false, 131072, 1, null)]);
        using var host = LibvirtHost.Open(file.Uri);
        string uuid = host.ListGuests().Single().Uuid;
        var first = Channel.CreateUnbounded<LifecycleEvent>();
        var second = Channel.CreateUnbounded<LifecycleEvent>();
        var token = TestContext.Current.CancellationToken;

        using (host.SubscribeLifecycle(first.Writer))
        using (host.SubscribeLifecycle(second.Writer))
        {
            host.Suspend(uuid);
            Assert.Equal(LifecycleEventKind.Suspended, (await first.Reader.ReadAsync(token)).Kind);
            Assert.Equal(LifecycleEventKind.Suspended, (await second.Reader.ReadAsync(token)).Kind);
        }

        Assert.False(LibvirtEventLoop.IsRunning);
        using (host.SubscribeLifecycle(first.Writer))
        {
            host.Resume(uuid);
            Assert.Equal(LifecycleEventKind.Resumed, (await first.Reader.ReadAsync(token)).Kind);
        }

        Assert.False(LibvirtEventLoop.IsRunning);
    }

    [Fact(Timeout = 30_000)]
    public async Task Disposing_the_host_ends_its_subscriptions_and_the_loop()
    {
        using var file = TestHostFile.Write([new("a", GuestState.Running, false, false, 131072, 1, null)]);
        var host = LibvirtHost.Open(file.Uri);
        var events = Channel.CreateUnbounded<LifecycleEvent>();

        host.SubscribeLifecycle(events.Writer);
        await Task.Run(host.Dispose);

        Assert.False(LibvirtEventLoop.IsRunning);
    }
}
