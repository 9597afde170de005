using Sundown.Core.Hosts;

namespace Sundown.Engine.Hosts;

/// <summary>
/// Opens a host without waiting on it for ever. libvirt's open blocks in native code for as long
/// as the peer does (a remote daemon that accepts the connection and never answers hangs it
/// without end), so the open runs on a thread of its own and is given up on at the timeout.
/// </summary>
public static class HostOpener
{
    /// <summary>
    /// How long one host may take to answer an open: a local libvirtd answers in milliseconds, a
    /// remote one over ssh in a second or two; longer than this, it is reported unreachable and the
    /// others go on. Kept well inside any budget worth having.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens <paramref name="uri"/> with <paramref name="open"/>, waiting at most <paramref name="timeout"/>
    /// on <paramref name="time"/>. An open given up on (timed out or cancelled) that completes later
    /// has its connection disposed: nobody will use it.
    /// </summary>
    /// <exception cref="HostException">
    /// The host refused, failed or did not answer in time: kind <see cref="HostErrorKind.ConnectionLost"/>
    /// for no answer or a failure that was not a <see cref="HostException"/> already; the message names the URI.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled first.</exception>
    public static async Task<IGuestHost> OpenAsync(string uri, Func<string, IGuestHost> open, TimeSpan timeout, TimeProvider time, CancellationToken cancel = default)
    {
        try
        {
            return await Bounded.RunAsync(() => open(uri), timeout, time, cancel, static late => late.Dispose());
        }
        catch (TimeoutException)
        {
            throw new HostException(HostErrorKind.ConnectionLost, $"cannot connect to '{uri}': no answer in {timeout.TotalSeconds:0.#}s");
        }
        catch (Exception e) when (e is not HostException and not OperationCanceledException)
        {
            // Whatever the binding threw (a missing libvirt.so, a bad URI it did not classify):
            // one host that cannot be opened, never an error that ends the whole command.
            throw new HostException(HostErrorKind.ConnectionLost, $"cannot connect to '{uri}': {e.Message}", e);
        }
    }
}
