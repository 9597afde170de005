using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Starting;

/// <summary>
/// A recorder whose journal may fail (the disk filled mid-run): a failed write is a fault, and
/// the start goes on. The first failure is reported; the ones after it would say the same.
/// </summary>
internal sealed class TolerantRecorder(IStepRecorder inner, string journalPath, Action<Fault> found) : IStepRecorder
{
    /// <summary>The id of a step whose start could not be recorded: its end is not recorded either.</summary>
    private const long Unrecorded = -1;

    private int _reported;

    public async Task<long> StepStartedAsync(string uri, string uuid, string action, DateTimeOffset at)
    {
        try
        {
            return await inner.StepStartedAsync(uri, uuid, action, at);
        }
        catch (JournalException e)
        {
            Report(e);
            return Unrecorded;
        }
    }

    public async Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error)
    {
        if (step == Unrecorded)
        {
            return;
        }

        try
        {
            await inner.StepEndedAsync(step, at, result, error);
        }
        catch (JournalException e)
        {
            Report(e);
        }
    }

    public async Task GuestFinishedAsync(string uri, string uuid, GuestOutcome outcome, double seconds)
    {
        try
        {
            await inner.GuestFinishedAsync(uri, uuid, outcome, seconds);
        }
        catch (JournalException e)
        {
            Report(e);
        }
    }

    private void Report(JournalException e)
    {
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            found(new Fault(FaultKinds.Journal, journalPath, $"{e.Message}; the start goes on, its steps are not all journaled"));
        }
    }
}
