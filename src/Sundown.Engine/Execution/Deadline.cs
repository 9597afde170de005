namespace Sundown.Engine.Execution;

/// <summary>
/// A cancellation token that fires after a time on the executor's clock (virtual time in
/// tests) or when the run is interrupted, whichever comes first.
/// </summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource? _timer;
    private readonly CancellationTokenSource _linked;

    /// <param name="left">Time left: <see cref="Timeout.InfiniteTimeSpan"/> for no deadline, zero for one already passed.</param>
    internal Deadline(TimeSpan left, TimeProvider time, CancellationToken interrupt)
    {
        if (left != Timeout.InfiniteTimeSpan)
        {
            _timer = new CancellationTokenSource(left, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt, _timer.Token);
        }
        else
        {
            _linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        }
    }

    internal CancellationToken Token => _linked.Token;

    public void Dispose()
    {
        _linked.Dispose();
        _timer?.Dispose();
    }
}
