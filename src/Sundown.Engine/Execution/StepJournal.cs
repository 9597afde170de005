using Sundown.Core.Model;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Execution;

/// <summary>
/// The <see cref="IStepRecorder"/> as the guests use it: a journal write never holds a step up
/// nor carries it past a deadline. Each write is waited for at most <see cref="WaitAtMost"/>;
/// once one has not answered in that time (a stuck disk), no write is waited for until one
/// answers again. A write that fails (a full disk) is reported, and the step goes ahead: the
/// guests come first, the record of them second.
/// </summary>
internal sealed class StepJournal(IStepRecorder recorder, TimeProvider time, Action<Guest, string> failed, Action<string> stalled)
{
    /// <summary>
    /// 1 s: a group commit with its fsync takes milliseconds, tens of them on a disk busy with a
    /// host's shutdown; a journal that has not answered in a second is stuck, not slow. Small
    /// beside every deadline: a step's begin and end together cost at most 2 s once, not per
    /// guest, before the journal is found stalled and no longer waited for.
    /// </summary>
    internal static readonly TimeSpan WaitAtMost = TimeSpan.FromSeconds(1);

    private int _stalled;

    /// <summary>Records a step's start; the task is its id, or fails when the journal could not take it.</summary>
    internal Task<long> StepStarted(Guest guest, string action, DateTimeOffset at) =>
        Guard(guest, () => recorder.StepStartedAsync(guest.Uri, guest.Uuid, action, at));

    /// <summary>Records a step's end once its start is recorded; nothing for a step whose start the journal never took.</summary>
    internal Task StepEnded(Guest guest, Task<long> started, DateTimeOffset at, StepResult result, string? error) =>
        started.IsCompletedSuccessfully
            ? Guard(guest, () => recorder.StepEndedAsync(started.Result, at, result, error))
            : started.ContinueWith(
                t => t.IsCompletedSuccessfully ? Guard(guest, () => recorder.StepEndedAsync(t.Result, at, result, error)) : Task.CompletedTask,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default).Unwrap();

    internal Task GuestFinished(Guest guest, GuestOutcome outcome, double seconds) =>
        Guard(guest, () => recorder.GuestFinishedAsync(guest.Uri, guest.Uuid, outcome, seconds));

    /// <summary>Waits for a write, at most <see cref="WaitAtMost"/>, and not at all while the journal is stalled. Never throws.</summary>
    internal async Task SettleAsync(Task write)
    {
        if (write.IsCompleted || Volatile.Read(ref _stalled) == 1)
        {
            return;
        }

        await write.WaitAsync(WaitAtMost, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!write.IsCompleted && Interlocked.Exchange(ref _stalled, 1) == 0)
        {
            stalled($"the journal did not answer within {WaitAtMost.TotalSeconds:0.#} s (a stuck disk?): the steps go on without waiting for it, continuing");
            // Waited for again as soon as it answers.
            _ = write.ContinueWith(_ => Volatile.Write(ref _stalled, 0), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Starts a write; a failure, now or whenever it comes, is reported and kept in the task.</summary>
    private Task<T> Guard<T>(Guest guest, Func<Task<T>> write)
    {
        Task<T> task;
        try
        {
            task = write();
        }
        catch (Exception e)
        {
            task = Task.FromException<T>(e);
        }

        Observe(guest, task);
        return task;
    }

    private Task Guard(Guest guest, Func<Task> write)
    {
        Task task;
        try
        {
            task = write();
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }

        Observe(guest, task);
        return task;
    }

    private void Observe(Guest guest, Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        _ = task.ContinueWith(
            t => failed(guest, $"journal: {t.Exception!.InnerException?.Message ?? t.Exception.Message}; going on without it"),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
