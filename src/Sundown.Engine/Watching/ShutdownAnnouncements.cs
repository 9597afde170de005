using System.Threading.Channels;

namespace Sundown.Engine.Watching;

/// <summary>
/// What the host's login manager says of its shutdown, as <c>sundown watch</c> hears it: logind's
/// <c>PrepareForShutdown(true)</c> the moment a poweroff or reboot is requested (before it waits
/// out the delay inhibitors), <c>PrepareForShutdown(false)</c> when that shutdown did not happen
/// after all. Whoever follows the bus (the CLI's logind client) writes here; <see cref="WatchLoop"/>
/// reads, in order, one at a time.
/// </summary>
public sealed class ShutdownAnnouncements
{
    private readonly Channel<bool> _channel = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private volatile string _state = "not connected yet";

    /// <summary>A shutdown was requested (true) or cancelled (false).</summary>
    public void Announce(bool requested) => _channel.Writer.TryWrite(requested);

    /// <summary>The follower is connected and subscribed (null), or why it is not.</summary>
    public void Following(string? problem) => _state = problem is null ? "following PrepareForShutdown" : $"not followed: {problem}";

    /// <summary>No more announcements will come (the follower ended).</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>What <c>watch --status</c> shows of the follower.</summary>
    public string State => _state;

    internal ChannelReader<bool> Reader => _channel.Reader;
}
