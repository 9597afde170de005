using Sundown.Core.Ups;

namespace Sundown.Engine.Power;

/// <summary>
/// Reads the UPS every <see cref="Interval"/> while a stop runs and, on battery, says when the power
/// ends (the reading's runtime less the margin). Each reading is held to
/// <see cref="PowerBudget.ReadTimeout"/> and runs beside the stop, never in its way: a UPS that
/// hangs or stops answering costs the stop nothing but this follower's news.
/// </summary>
public static class BatteryFollower
{
    /// <summary>
    /// Every 5 s: a UPS's runtime figure moves in steps of seconds to a minute as the load and the
    /// charge change, and a stop that learns of a shorter battery 5 s late still has the rest of it.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <param name="powerEnds">Told of each reading on battery: when the power ends, by it; and the reading.</param>
    /// <param name="unreadable">Told once, the first time a reading fails (the plan stays as it is).</param>
    /// <returns>A task that ends soon after <paramref name="stop"/> fires; it never throws.</returns>
    public static async Task RunAsync(
        IUps ups,
        UpsConfig config,
        TimeProvider time,
        Action<DateTimeOffset, UpsReading> powerEnds,
        Action<string> unreadable,
        CancellationToken stop)
    {
        bool told = false;
        // On a fixed beat from the stop's start, not an interval after each reading: a slow reading does not push the next ones back.
        using var beat = new PeriodicTimer(Interval, time);
        try
        {
            while (await beat.WaitForNextTickAsync(stop))
            {
                // The runtime counts from no earlier than the reading's beginning: counting from there errs early.
                var at = time.GetUtcNow();
                var (reading, error) = await PowerBudget.TryReadAsync(ups, time, stop);
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                if (reading is null)
                {
                    if (!told)
                    {
                        told = true;
                        unreadable(error ?? "no answer");
                    }

                    continue;
                }

                if (reading is { OnBattery: true, Runtime: { } runtime })
                {
                    var left = runtime - config.Margin;
                    powerEnds(at + (left > TimeSpan.Zero ? left : TimeSpan.Zero), reading);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug here must not end the stop it follows: the stop goes on with the plan it has.
            if (!told)
            {
                unreadable($"following the UPS failed: {e.Message}");
            }
        }
    }
}
