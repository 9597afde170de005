using System.Collections.Concurrent;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Execution;

/// <summary>Records steps in memory, for tests that check what the executor did and when.</summary>
internal sealed class MemoryRecorder : IStepRecorder
{
    private long _next;

    internal sealed record Step(string Uri, string Uuid, string Action, DateTimeOffset StartedAt)
    {
        internal DateTimeOffset? EndedAt { get; set; }

        internal StepResult? Result { get; set; }
    }

    internal ConcurrentDictionary<long, Step> Steps { get; } = new();

    internal ConcurrentDictionary<string, GuestOutcome> Outcomes { get; } = new();

    /// <summary>How many of the next step starts fail, as a journal on a full disk would.</summary>
    internal int FailingStepStarts { get; set; }

    /// <summary>Every write hangs, never answered, as a journal on a stuck disk does.</summary>
    internal bool Hangs { get; set; }

    /// <summary>Every write throws at once, as a journal whose file is gone does.</summary>
    internal bool Throws { get; set; }

    public Task<long> StepStartedAsync(string uri, string uuid, string action, DateTimeOffset at)
    {
        if (Fault<long>() is { } fault)
        {
            return fault;
        }

        if (FailingStepStarts > 0)
        {
            FailingStepStarts--;
            return Task.FromException<long>(new JournalException("cannot write the journal: disk full"));
        }

        long id = Interlocked.Increment(ref _next);
        Steps[id] = new Step(uri, uuid, action, at);
        return Task.FromResult(id);
    }

    public Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error)
    {
        if (Fault<bool>() is { } fault)
        {
            return fault;
        }

        Steps[step].EndedAt = at;
        Steps[step].Result = result;
        return Task.CompletedTask;
    }

    public Task GuestFinishedAsync(string uri, string uuid, GuestOutcome outcome, double seconds)
    {
        if (Fault<bool>() is { } fault)
        {
            return fault;
        }

        Outcomes[uuid] = outcome;
        return Task.CompletedTask;
    }

    private Task<T>? Fault<T>() =>
        Throws ? throw new JournalException("cannot write the journal: the file is gone")
        : Hangs ? new TaskCompletionSource<T>().Task
        : null;

    internal IReadOnlyList<Step> StepsOf(string uuid) => [.. Steps.OrderBy(pair => pair.Key).Select(pair => pair.Value).Where(step => step.Uuid == uuid)];
}
