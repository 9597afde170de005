namespace Sundown.Engine.Hosts;

/// <summary>
/// A blocking call into a host that may never return (libvirt's open against a peer that
/// accepts and never answers), run so that the caller waits at most a timeout for it.
/// </summary>
internal static class Bounded
{
    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own (or the pool's) and waits at most
    /// <paramref name="timeout"/> on <paramref name="time"/> for it. Work given up on (timed out or
    /// cancelled) keeps its thread until it returns; if it then succeeds, <paramref name="disposeLate"/>
    /// gets what it made.
    /// </summary>
    /// <param name="ownThread">
    /// A thread of its own (the default) for work that may never return and of which many start at
    /// once, as the opens of every host at the start of a stop; the pool for work as bounded in
    /// number as the host calls that already run there.
    /// </param>
    /// <exception cref="TimeoutException">No result within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled first.</exception>
    internal static Task<T> RunAsync<T>(Func<T> work, TimeSpan timeout, TimeProvider time, CancellationToken cancel, Action<T> disposeLate, bool ownThread = true)
    {
        if (!ownThread)
        {
            return WaitAsync(Task.Run(work, CancellationToken.None), timeout, time, cancel, disposeLate);
        }

        // A thread of its own, not the pool's: a call that never returns would hold a pool
        // thread for the rest of the process. Background, so that it never holds up the exit.
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "host-open",
        };
        thread.Start();
        return WaitAsync(done.Task, timeout, time, cancel, disposeLate);
    }

    private static async Task<T> WaitAsync<T>(Task<T> work, TimeSpan timeout, TimeProvider time, CancellationToken cancel, Action<T> disposeLate)
    {
        // A deadline already past gives no time at all, not an ArgumentOutOfRangeException.
        var wait = timeout == Timeout.InfiniteTimeSpan || timeout >= TimeSpan.Zero ? timeout : TimeSpan.Zero;
        try
        {
            return await work.WaitAsync(wait, time, cancel);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Nobody will use what a given-up call makes: close it when it comes, and observe a
            // late failure so that it never surfaces as an unobserved task exception.
            _ = work.ContinueWith(
                late =>
                {
                    if (late.IsCompletedSuccessfully)
                    {
                        DisposeQuietly(late.Result, disposeLate);
                    }
                    else
                    {
                        _ = late.Exception;
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw;
        }
    }

    private static void DisposeQuietly<T>(T late, Action<T> disposeLate)
    {
        try
        {
            disposeLate(late);
        }
        catch (Exception)
        {
            // Closing a connection nobody uses any more: a failure there changes nothing.
        }
    }
}
