namespace Sundown.Core.Hosts;

/// <summary>What a failed host call means for whoever made it.</summary>
public enum HostErrorKind
{
    /// <summary>Anything not listed below.</summary>
    Failed,

    /// <summary>The guest does not exist (any more): undefined, or a transient guest that stopped.</summary>
    GuestNotFound,

    /// <summary>The guest is not in a state the call needs (already off, not paused…): often a race, not an error.</summary>
    InvalidState,

    /// <summary>The host or the guest cannot do this (no guest agent, transient guest and save…).</summary>
    Unsupported,

    /// <summary>The connection to the host is gone or cannot be made.</summary>
    ConnectionLost,

    /// <summary>Not allowed: a read-only connection, or missing permission.</summary>
    Denied,
}
