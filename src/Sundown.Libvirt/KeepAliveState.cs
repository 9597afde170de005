namespace Sundown.Libvirt;

/// <summary>Whether a connection pings its peer to notice when it is gone.</summary>
public enum KeepAliveState
{
    /// <summary>Not asked for: the connection has no peer (libvirt's <c>test:</c> driver runs in this process).</summary>
    NotAsked,

    /// <summary>Pinging: a peer that stops answering closes the connection within seconds.</summary>
    On,

    /// <summary>The peer (an old libvirtd) does not answer keepalives; the connection works without them.</summary>
    PeerLacksSupport,

    /// <summary>The driver has no keepalive (<c>NO_SUPPORT</c>); the connection works without it.</summary>
    Unsupported,

    /// <summary>Setting it failed otherwise; the connection works without it.</summary>
    Failed,
}
