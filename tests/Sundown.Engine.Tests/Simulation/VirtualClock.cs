using Microsoft.Extensions.Time.Testing;

namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// Drives a run on virtual time: lets every piece of work the last tick released finish,
/// then moves the clock on by one tick, until the run is done. A tick is the resolution of
/// the timing the tests see.
/// </summary>
internal static class VirtualClock
{
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    internal static async Task<T> RunAsync<T>(FakeTimeProvider time, Func<Task<T>> start, TimeSpan limit)
    {
        var run = Task.Run(start);
        var end = time.GetUtcNow() + limit;
        while (!run.IsCompleted)
        {
            Settle();
            if (run.IsCompleted)
            {
                break;
            }

            if (time.GetUtcNow() > end)
            {
                throw new TimeoutException($"the run did not end within {limit} of virtual time");
            }

            time.Advance(Tick);
        }

        return await run;
    }

    // Work released by a tick shows as queued thread-pool items; the run has reacted to the
    // tick once the pool has stayed empty for a few polls.
    private static void Settle()
    {
        for (int quiet = 0; quiet < 3;)
        {
            Thread.Sleep(1);
            quiet = ThreadPool.PendingWorkItemCount == 0 ? quiet + 1 : 0;
        }
    }
}
