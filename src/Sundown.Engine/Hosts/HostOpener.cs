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

    /// <exception cref="HostException">The host refused, failed or did not answer in time (kind <see cref="HostErrorKind.ConnectionLost"/>).</exception>
    public static async Task<IGuestHost> OpenAsync(string uri, Func<string, IGuestHost> open, TimeSpan timeout, TimeProvider time, CancellationToken cancel = default)
    {
        // A thread of its own, not the pool's: an open that never returns would hold a pool
        // thread for the rest of the process.
        var opening = new TaskCompletionSource<IGuestHost>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                opening.SetResult(open(uri));
            }
            catch (Exception e)
            {
                opening.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "host-open",
        };
        thread.Start();

        try
        {
            return await opening.Task.WaitAsync(timeout, time, cancel);
        }
        catch (TimeoutException)
        {
            // Given up on: if the open succeeds after all, nobody will use that connection.
            _ = opening.Task.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new HostException(HostErrorKind.ConnectionLost, $"cannot connect to '{uri}': no answer in {timeout.TotalSeconds:0.#}s");
        }
    }
}
