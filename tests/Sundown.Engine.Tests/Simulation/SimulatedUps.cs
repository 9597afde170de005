using System.Collections.Immutable;
using Sundown.Core.Ups;

namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// A UPS on virtual time, as upsd serves one: a reading takes <see cref="ReadTime"/>, can fail
/// (<c>ERR DATA-STALE</c>, as upsd answers when its driver froze) or hang without answering
/// (a peer that accepts and never replies), and says what the test set last.
/// </summary>
internal sealed class SimulatedUps(TimeProvider time) : IUps
{
    private readonly Lock _lock = new();
    private ImmutableArray<string> _status = ["OL"];
    private TimeSpan? _runtime = TimeSpan.FromMinutes(10);
    private string? _fails;
    private bool _hangs;
    private int _reads;

    public UpsName Name { get; } = new("sim", "127.0.0.1", UpsName.DefaultPort);

    /// <summary>How long upsd takes to answer a reading.</summary>
    internal TimeSpan ReadTime { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Readings begun so far, answered or not.</summary>
    internal int Reads => Volatile.Read(ref _reads);

    internal void Set(string status, TimeSpan? runtime)
    {
        lock (_lock)
        {
            (_status, _runtime) = ([.. status.Split(' ')], runtime);
        }
    }

    /// <summary>From now on every reading fails with upsd's <paramref name="code"/> (null: they answer again).</summary>
    internal void Fail(string? code)
    {
        lock (_lock)
        {
            _fails = code;
        }
    }

    /// <summary>From now on every reading hangs, deaf to its cancellation too: only the caller's own clock ends the wait.</summary>
    internal void Hang()
    {
        lock (_lock)
        {
            _hangs = true;
        }
    }

    public async Task<UpsReading> ReadAsync(CancellationToken cancellation)
    {
        Interlocked.Increment(ref _reads);
        bool hangs;
        lock (_lock)
        {
            hangs = _hangs;
        }

        if (hangs)
        {
            await new TaskCompletionSource().Task;
        }

        await Task.Delay(ReadTime, time, cancellation);
        lock (_lock)
        {
            return _fails is { } code
                ? throw new UpsException(UpsErrorKind.Refused, $"upsd answered ERR {code}", code)
                : new UpsReading(_status, _runtime, null, null);
        }
    }
}
