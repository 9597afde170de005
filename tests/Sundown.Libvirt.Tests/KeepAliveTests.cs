namespace Sundown.Libvirt.Tests;

/// <summary>Keepalive on libvirt's test driver, which has none. In the event-loop collection: it starts and stops the loop.</summary>
[Collection(nameof(EventLoopCollection))]
public sealed class KeepAliveTests
{
    [Fact(Timeout = 30_000)]
    public void A_test_driver_connection_is_not_asked_for_keepalive()
    {
        using var host = LibvirtHost.Open("test:///default");

        Assert.Equal(KeepAliveState.NotAsked, host.KeepAlive);
        Assert.False(LibvirtEventLoop.IsRunning);
    }

    [Fact(Timeout = 30_000)]
    public void Keepalive_asked_of_a_driver_without_it_is_ignored_and_leaves_the_loop_stopped()
    {
        using var host = LibvirtHost.Open("test:///default");

        var state = host.EnableKeepAlive();

        Assert.Equal(KeepAliveState.Unsupported, state);
        Assert.Equal(KeepAliveState.Unsupported, host.KeepAlive);
        Assert.False(LibvirtEventLoop.IsRunning);
        Assert.NotEmpty(host.ListGuests());
    }
}
