using Sundown.Engine.Journal;

namespace Sundown.Engine.Execution;

/// <summary>
/// Where the executor writes what it does, before and after doing it: the journal in a real
/// run, memory in tests. Calls come from several threads.
/// </summary>
public interface IStepRecorder
{
    /// <summary>Recorded before the step is taken; returns the step's id.</summary>
    long StepStarted(string uri, string uuid, string action, DateTimeOffset at);

    void StepEnded(long step, DateTimeOffset at, StepResult result, string? error);

    void GuestFinished(string uri, string uuid, GuestOutcome outcome, double seconds);
}
