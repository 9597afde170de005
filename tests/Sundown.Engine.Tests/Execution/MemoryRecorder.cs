using System.Collections.Concurrent;
using Sundown.Engine.Execution;
using Sundown.Engine.Journal;

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

    public long StepStarted(string uri, string uuid, string action, DateTimeOffset at)
    {
        long id = Interlocked.Increment(ref _next);
        Steps[id] = new Step(uri, uuid, action, at);
        return id;
    }

    public void StepEnded(long step, DateTimeOffset at, StepResult result, string? error)
    {
        Steps[step].EndedAt = at;
        Steps[step].Result = result;
    }

    public void GuestFinished(string uri, string uuid, GuestOutcome outcome, double seconds) => Outcomes[uuid] = outcome;

    internal IReadOnlyList<Step> StepsOf(string uuid) => [.. Steps.OrderBy(pair => pair.Key).Select(pair => pair.Value).Where(step => step.Uuid == uuid)];
}
