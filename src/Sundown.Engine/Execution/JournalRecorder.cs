using Sundown.Engine.Journal;

namespace Sundown.Engine.Execution;

/// <summary>Writes a run's steps to the journal, each durable before the call returns.</summary>
public sealed class JournalRecorder(Journal.Journal journal, long run) : IStepRecorder
{
    public long StepStarted(string uri, string uuid, string action, DateTimeOffset at) => journal.StepStarted(run, uri, uuid, action, at);

    public void StepEnded(long step, DateTimeOffset at, StepResult result, string? error) => journal.StepEnded(step, at, result, error);

    public void GuestFinished(string uri, string uuid, GuestOutcome outcome, double seconds) => journal.GuestFinished(run, uri, uuid, outcome, seconds);
}
