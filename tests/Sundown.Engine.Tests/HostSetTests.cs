using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Tests;

public sealed class HostSetTests
{
    [Fact(Timeout = 30_000)]
    public void Open_opens_each_uri_once_and_lists_host_by_host_in_the_given_order()
    {
        var opened = new ConcurrentBag<string>();

        using var set = HostSet.Open(["b:///", "a:///", "b:///"], uri =>
        {
            opened.Add(uri);
            return new ListOnlyHost(uri, [$"{uri} guest"]);
        });

        Assert.Equal(["a:///", "b:///"], opened.Order(StringComparer.Ordinal));
        Assert.Equal(["b:/// guest", "a:/// guest"], set.ListGuests().Select(guest => guest.Name));
        Assert.Empty(set.Unreachable);
    }

    [Fact(Timeout = 30_000)]
    public void A_host_that_cannot_be_opened_is_reported_and_the_others_are_kept_open()
    {
        var first = new ListOnlyHost("a:///", ["web"]);

        using var set = HostSet.Open(["a:///", "down:///"], uri =>
            uri == "a:///" ? first : throw new HostException(HostErrorKind.ConnectionLost, "down:/// is down"));

        Assert.Same(first, Assert.Single(set.Hosts));
        Assert.False(first.Disposed);
        var down = Assert.Single(set.Unreachable);
        Assert.Equal(("down:///", "down:/// is down"), (down.Uri, down.Message));
    }

    [Fact(Timeout = 30_000)]
    public async Task Hosts_that_never_answer_cost_one_connect_timeout_all_together()
    {
        var time = new FakeTimeProvider();
        using var never = new ManualResetEventSlim();
        using var okOpened = new ManualResetEventSlim();
        var timeout = TimeSpan.FromSeconds(3);

        var opening = HostSet.OpenAsync(["hang1:///", "ok:///", "hang2:///"], uri =>
        {
            if (uri.StartsWith("hang", StringComparison.Ordinal))
            {
                never.Wait();
                return new ListOnlyHost(uri, []);
            }

            var host = new ListOnlyHost(uri, []);
            okOpened.Set();
            return host;
        }, timeout, time);
        // The answering host's open runs on a thread of its own in real time: the virtual timeout
        // must not fire before it is done (it hands its result over just after returning).
        Assert.True(okOpened.Wait(TimeSpan.FromSeconds(10)), "the answering host was never opened");
        Thread.Sleep(100);
        // One timeout's worth of time, once: hosts opened one after another would need it twice.
        time.Advance(timeout);
        using var set = await opening;
        never.Set();

        Assert.Equal(["ok:///"], set.Hosts.Select(h => h.Uri));
        Assert.Equal(["hang1:///", "hang2:///"], set.Unreachable.Select(u => u.Uri));
        Assert.All(set.Unreachable, u => Assert.Contains("no answer in 3s", u.Message, StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public void Dispose_closes_every_host()
    {
        var hosts = new ConcurrentBag<ListOnlyHost>();
        var set = HostSet.Open(["a:///", "b:///"], uri =>
        {
            var host = new ListOnlyHost(uri, []);
            hosts.Add(host);
            return host;
        });

        set.Dispose();

        Assert.Equal(2, hosts.Count);
        Assert.All(hosts, host => Assert.True(host.Disposed));
    }

    [Fact(Timeout = 30_000)]
    public void Dispose_does_not_wait_past_the_close_timeout_for_a_host_that_froze()
    {
        using var never = new ManualResetEventSlim();
        var quick = new ListOnlyHost("a:///", []);
        var set = HostSet.Open(["frozen:///", "a:///"], uri => uri == "a:///" ? quick : new ListOnlyHost(uri, []) { OnDispose = never.Wait });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        set.Dispose();
        never.Set();

        Assert.True(clock.Elapsed < HostSet.CloseTimeout + TimeSpan.FromSeconds(2), $"Dispose took {clock.Elapsed}");
        Assert.True(quick.Disposed);
    }

    /// <summary>A host that can only list; every action is a test failure.</summary>
    private sealed class ListOnlyHost(string uri, string[] names) : IGuestHost
    {
        public string Uri => uri;

        public bool Disposed { get; private set; }

        public event Action? Disconnected
        {
            add { }
            remove { }
        }

        public IReadOnlyList<Guest> ListGuests() =>
            [.. names.Select(name => new Guest(uri, name, Guid.NewGuid().ToString(), GuestState.Running, 1, true, false, false, 1024, 1, null, true, false, null))];

        public Action? OnDispose { get; init; }

        public void Dispose()
        {
            OnDispose?.Invoke();
            Disposed = true;
        }

        public GuestStatus GetStatus(string uuid) => throw Unexpected();

        public void Shutdown(string uuid, ShutdownMethod method) => throw Unexpected();

        public void Destroy(string uuid) => throw Unexpected();

        public void Suspend(string uuid) => throw Unexpected();

        public void Resume(string uuid) => throw Unexpected();

        public void Wakeup(string uuid) => throw Unexpected();

        public void ManagedSave(string uuid) => throw Unexpected();

        public void Start(string uuid, bool paused = false) => throw Unexpected();

        public string? GetMetadata(string uuid, string namespaceUri) => throw Unexpected();

        public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => throw Unexpected();

        public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink) => throw Unexpected();

        private static InvalidOperationException Unexpected() => new("listing must not act on guests");
    }
}
