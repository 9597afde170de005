namespace Sundown.Engine.Execution;

/// <summary>
/// Runs one blocking host call on a thread of its own. A libvirt call blocks its thread until
/// libvirtd answers, and a frozen libvirtd answers nothing: on the thread pool, a fleet's hung
/// calls would take every pool thread, and with them the timers and continuations that hold
/// each step to its deadline. On threads of their own they cost a thread each (its stack is
/// reserved, not used, and libvirtd serves only a few calls of a connection at once anyway),
/// and a call given up on at its deadline just ends, or not, in the background.
/// </summary>
internal static class HostCall
{
    private static int s_inFlight;

    /// <summary>
    /// Calls started and not yet returned, in the whole process. Tests on virtual time read it:
    /// they move their clock on only while every call in flight waits on that clock.
    /// </summary>
    internal static int InFlight => Volatile.Read(ref s_inFlight);

    /// <summary>Starts <paramref name="call"/>; the task completes when it returns or throws.</summary>
    internal static Task Run(Action call) => Run(() =>
    {
        call();
        return true;
    });

    /// <summary>Starts <paramref name="call"/>; the task completes with what it returns, or its exception.</summary>
    internal static Task<T> Run<T>(Func<T> call)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    done.SetResult(call());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                finally
                {
                    // After the result: its continuation is queued before the call stops counting.
                    Interlocked.Decrement(ref s_inFlight);
                }
            })
        {
            // A call still hanging when the stop is over must not keep the process alive.
            IsBackground = true,
            Name = "sundown-host-call",
        };
        Interlocked.Increment(ref s_inFlight);
        thread.UnsafeStart();
        // A call given up on may fail later, with nobody left to read it.
        _ = done.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return done.Task;
    }
}
