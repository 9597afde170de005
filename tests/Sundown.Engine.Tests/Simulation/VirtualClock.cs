using Microsoft.Extensions.Time.Testing;
using Sundown.Engine.Execution;

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

    /// <summary>Past this much real time without settling, the clock moves on all the same (a call blocked on something that is not virtual time).</summary>
    private static readonly TimeSpan s_settleAtMost = TimeSpan.FromSeconds(2);

    // Work released by a tick shows as queued thread-pool items, and as host calls (each on a
    // thread of its own) not waiting at a VirtualGate; the run has reacted to the tick once
    // both have stayed quiet for a few polls.
    private static void Settle()
    {
        var began = Environment.TickCount64;
        for (int quiet = 0; quiet < 3;)
        {
            Thread.Sleep(1);
            bool idle = ThreadPool.PendingWorkItemCount == 0 && HostCall.InFlight <= VirtualGate.Waiting;
            quiet = idle ? quiet + 1 : 0;
            if (Environment.TickCount64 - began > s_settleAtMost.TotalMilliseconds)
            {
                return;
            }
        }
    }
}
