namespace Sundown.Engine.Execution;

/// <summary>At most N at once of one kind of step; 0 means no limit.</summary>
internal sealed class ConcurrencyLimit(int limit)
{
    private readonly SemaphoreSlim? _slots = limit > 0 ? new SemaphoreSlim(limit, limit) : null;

    /// <summary>Takes a slot if one is free now, without waiting.</summary>
    internal bool TryEnter() => _slots is null || _slots.Wait(0);

    /// <summary>Waits for a slot until <paramref name="giveUp"/> is cancelled; false if none came.</summary>
    internal async Task<bool> EnterAsync(CancellationToken giveUp)
    {
        if (_slots is null)
        {
            return true;
        }

        try
        {
            await _slots.WaitAsync(giveUp);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal void Exit() => _slots?.Release();
}
