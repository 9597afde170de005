using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Tests;

public sealed class HostSetTests
{
    [Fact]
    public void Open_opens_each_uri_once_in_order_and_lists_host_by_host()
    {
        var opened = new List<string>();

        using var set = HostSet.Open(["b:///", "a:///", "b:///"], uri =>
        {
            opened.Add(uri);
            return new ListOnlyHost(uri, [$"{uri} guest"]);
        });

        Assert.Equal(["b:///", "a:///"], opened);
        Assert.Equal(["b:/// guest", "a:/// guest"], set.ListGuests().Select(guest => guest.Name));
    }

    [Fact]
    public void A_host_that_cannot_be_opened_closes_those_already_open_and_fails()
    {
        var first = new ListOnlyHost("a:///", []);

        var error = Assert.Throws<HostException>(() => HostSet.Open(["a:///", "down:///"], uri =>
            uri == "a:///" ? first : throw new HostException(HostErrorKind.ConnectionLost, "down:/// is down")));

        Assert.Equal(HostErrorKind.ConnectionLost, error.Kind);
        Assert.True(first.Disposed);
    }

    [Fact]
    public void Dispose_closes_every_host()
    {
        var hosts = new List<ListOnlyHost>();
        var set = HostSet.Open(["a:///", "b:///"], uri =>
        {
            var host = new ListOnlyHost(uri, []);
            hosts.Add(host);
            return host;
        });

        set.Dispose();

        Assert.All(hosts, host => Assert.True(host.Disposed));
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

        public void Dispose() => Disposed = true;

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
