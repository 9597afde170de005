using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>Writes a run's steps to the journal, each durable before its task completes.</summary>
public sealed class JournalRecorder(Journal journal, long run) : IStepRecorder
{
    public Task<long> StepStartedAsync(string uri, string uuid, string action, DateTimeOffset at) => journal.StepStartedAsync(run, uri, uuid, action, at);

    public Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error) => journal.StepEndedAsync(step, at, result, error);

    public Task GuestFinishedAsync(string uri, string uuid, GuestOutcome outcome, double seconds) => journal.GuestFinishedAsync(run, uri, uuid, outcome, seconds);
}
