namespace Sundown.Libvirt;

public sealed partial class LibvirtHost
{
    /// <summary>
    /// Seconds of silence before a ping, and pings unanswered before the connection is closed:
    /// libvirt closes it after <c>count + 1</c> missed replies, so a dead peer (a frozen libvirtd,
    /// a host gone from the network) is noticed after about 2 × 4 = 8 s of silence. Any traffic
    /// resets the count, and libvirtd answers pings from its main loop even while its workers are
    /// busy with long saves, so a healthy but loaded daemon is not cut off. Shorter would risk
    /// closing on a passing stall of a daemon stopping many guests at once; virsh's 5 s × 6
    /// (35 s) would be longer than a whole 20 s budget.
    /// </summary>
    internal const int KeepAliveIntervalSeconds = 2;

    /// <inheritdoc cref="KeepAliveIntervalSeconds"/>
    internal const uint KeepAliveCount = 3;

    // Keepalive pings are sent and their replies read by libvirt's event loop: it must run for
    // as long as the connection keeps them.
    private IDisposable? _keepAliveLoop;

    /// <summary>Whether this connection pings its peer.</summary>
    public KeepAliveState KeepAlive { get; private set; } = KeepAliveState.NotAsked;

    /// <summary>True once the connection is closed (the host disposed).</summary>
    internal bool IsClosed => _connection.IsClosed;

    /// <summary>Keepalive on every connection that has a peer: remote ones, and local ones through libvirtd's socket.</summary>
    private void KeepAliveUnlessInProcess()
    {
        // The test driver lives in this process: nothing to ping, and it answers NO_SUPPORT.
        if (!Uri.StartsWith("test:", StringComparison.Ordinal))
        {
            EnableKeepAlive();
        }
    }

    /// <summary>
    /// Asks libvirt to ping the peer. Never throws: a connection without keepalive still works;
    /// it only notices a dead peer late (when TCP gives up, minutes on) or, for a daemon that is
    /// frozen but whose socket stays open, not at all.
    /// </summary>
    internal KeepAliveState EnableKeepAlive()
    {
        var loop = LibvirtEventLoop.Acquire();
        int result = Interop.Libvirt.ConnectSetKeepAlive(_connection, KeepAliveIntervalSeconds, KeepAliveCount);
        // The error is read at once, before releasing the loop touches libvirt again.
        var error = result < 0 ? LibvirtException.FromLastError($"setting keepalive on '{Uri}'") : null;
        if (result == 0)
        {
            _keepAliveLoop = loop;
            return KeepAlive = KeepAliveState.On;
        }

        loop.Dispose();
        return KeepAlive = result == 1 ? KeepAliveState.PeerLacksSupport
            : error!.Code == LibvirtErrorCode.NoSupport ? KeepAliveState.Unsupported
            : KeepAliveState.Failed;
    }

    /// <summary>Lets the event loop stop once the connection is closed (libvirt wants it running through the close).</summary>
    private void ReleaseKeepAliveLoop()
    {
        Interlocked.Exchange(ref _keepAliveLoop, null)?.Dispose();
    }
}
