using Sundown.Core.Ups;

namespace Sundown.Engine.Power;

/// <summary>
/// Reads the UPS once and chooses the budget from it (<see cref="UpsBudget.Choose"/>): what
/// <c>plan</c> and <c>stop</c> do before planning, and what <c>sundown watch</c> does on each
/// reading. It never throws for the UPS: one that cannot be read, answers garbage or does not
/// answer in <see cref="ReadTimeout"/> leaves the configured budget, with the reason.
/// </summary>
public static class PowerBudget
{
    /// <summary>
    /// How long one reading may take here, whatever the reader's own timeout: NutUps holds itself
    /// to 3 s; this bounds a reader that does not (it is the engine's promise, not the reader's).
    /// </summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(4);

    /// <param name="configured">The config's budget or <c>--budget</c>; null for no overall deadline.</param>
    public static async Task<PowerReading> ReadAsync(IUps ups, UpsConfig config, TimeSpan? configured, TimeProvider time, CancellationToken cancellation)
    {
        var at = time.GetUtcNow();
        var (reading, error) = await TryReadAsync(ups, time, cancellation);
        var (budget, note) = UpsBudget.Choose(configured, config, reading, error);
        return new PowerReading(config, budget, reading, error, note, at);
    }

    /// <summary>One reading held to <see cref="ReadTimeout"/>: the reading, or null and why not.</summary>
    public static async Task<(UpsReading? Reading, string? Error)> TryReadAsync(IUps ups, TimeProvider time, CancellationToken cancellation)
    {
        // On the caller's clock (virtual time in tests), and linked to the caller's own cancellation.
        using var timer = new CancellationTokenSource(ReadTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timer.Token);
        try
        {
            // On a thread of its own: a reader that blocks before its first await must not hold up the caller.
            var read = Task.Run(() => ups.ReadAsync(deadline.Token), CancellationToken.None);
            // Held on the caller's clock too, so that a reader that ignores its token is left behind.
            return (await read.WaitAsync(ReadTimeout, time, cancellation), null);
        }
        catch (UpsException e)
        {
            return (null, e.Message);
        }
        catch (TimeoutException)
        {
            return (null, $"no answer from upsd at {ups.Name.Host}:{ups.Name.Port} in {ReadTimeout.TotalSeconds:0}s");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (null, $"no answer from upsd at {ups.Name.Host}:{ups.Name.Port} in {ReadTimeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A reader's bug or a socket error it did not wrap: the UPS is unreadable, never the stop's end.
            return (null, $"{e.Message} ({e.GetType().Name})");
        }
    }
}
