using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>
/// Where the executor writes what it does, before and after doing it: the journal in a real
/// run, memory in tests. Calls come from many guests at once; each call's task completes
/// when what it recorded is durable, so the guest's next step waits for it without holding
/// a thread (the journal commits the records of the guests waiting together in one go).
/// </summary>
public interface IStepRecorder
{
    /// <summary>Recorded before the step is taken; returns the step's id.</summary>
    Task<long> StepStartedAsync(string uri, string uuid, string action, DateTimeOffset at);

    Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error);

    Task GuestFinishedAsync(string uri, string uuid, GuestOutcome outcome, double seconds);
}
