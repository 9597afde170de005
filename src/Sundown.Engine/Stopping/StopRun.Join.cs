using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

/// <summary>
/// The stop at shutdown joining one already under way: <c>sundown watch</c> begins the guests'
/// stop at logind's announcement of the shutdown, seconds before systemd stops sundown.service.
/// One stop at a time (the state directory's lock): the unit's stop waits for the one running and
/// then finds its guests safe, and records no second run for nothing.
/// </summary>
public static partial class StopRun
{
    /// <summary>How long a stop at shutdown without a budget waits for another stop to end.</summary>
    private static readonly TimeSpan s_joinWithoutBudget = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan s_lockPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a stop at shutdown that finds the lock held looks for the holder's run in the
    /// journal: a stop that has just begun takes the lock before it records its run.
    /// </summary>
    private static readonly TimeSpan s_runAppears = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The state directory's lock. Interactive, another sundown holding it is refused at once (a
    /// <see cref="StateLockedException"/>). At shutdown, when the holder is a stop under way (the
    /// journal has an unfinished stop within its budget: watch's, begun at logind's announcement),
    /// it is waited for, until that stop's deadline or this one's, whichever comes first, and the
    /// destroys' grace after it. A holder that is not a stop (or a stop that outlives that: hung) is
    /// still refused, at once or at that deadline, and the stop at shutdown then goes on without
    /// the lock (<c>StopCommand</c>'s second try): waiting for it would only spend the guests' time.
    /// </summary>
    private static async Task<StateLock?> AcquireLockAsync(
        StopRequest request, TimeProvider time, IStopObserver? observer, Action<Fault> found, DateTimeOffset began)
    {
        string state = request.StateDirectory;
        void Failed(JournalException e) => found(new Fault(FaultKinds.Journal, state, $"{e.Message}; continuing without the lock"));
        if (!request.AtShutdown)
        {
            return StateLock.TryAcquire(state, Failed);
        }

        var ownEnd = began + (request.Budget ?? s_joinWithoutBudget) + Estimates.DestroyGrace;
        DateTimeOffset? until = null;
        bool Waitable(StateLockedException locked)
        {
            var now = time.GetUtcNow();
            if (until is null && StopUnderWay(state, now) is { } run)
            {
                var runEnd = run.BudgetSeconds is { } seconds ? run.StartedAt + TimeSpan.FromSeconds(seconds) + Estimates.DestroyGrace : ownEnd;
                until = runEnd < ownEnd ? runEnd : ownEnd;
                observer?.Notice($"{locked.Message}: the stop under way (run {run.Id}, begun {run.StartedAt.UtcDateTime:HH:mm:ss} UTC: sundown watch's at the shutdown's announcement?); waiting for it to end, until {until.Value.UtcDateTime:HH:mm:ss} UTC at most");
            }

            return until is { } u ? now < u : now < began + s_runAppears;
        }

        while (true)
        {
            try
            {
                var taken = StateLock.TryAcquire(state, Failed);
                if (until is not null)
                {
                    observer?.Notice($"the stop that held {state} has ended, after {Seconds(time.GetUtcNow() - began)}: this one goes on with what it left");
                }

                return taken;
            }
            catch (StateLockedException locked) when (Waitable(locked))
            {
                await Task.Delay(s_lockPoll, time);
            }
        }
    }

    /// <summary>
    /// The journal's unfinished stop, when it is still within its budget; null when there is none
    /// or the journal cannot say within its answer time (a disk that hangs is not waited on).
    /// </summary>
    private static RunRecord? StopUnderWay(string stateDirectory, DateTimeOffset now)
    {
        if (!File.Exists(Path.Combine(stateDirectory, Journal.FileName)))
        {
            return null;
        }

        var reading = Task.Run(() =>
        {
            using var journal = Journal.Open(stateDirectory);
            return journal.FindUnfinishedRun(RunKind.Stop);
        });
        try
        {
            return reading.Wait(Journal.AnswerTimeout) && reading.Result is { } run &&
                (run.BudgetSeconds is not { } seconds || now < run.StartedAt + TimeSpan.FromSeconds(seconds) + Estimates.DestroyGrace)
                ? run
                : null;
        }
        catch (AggregateException)
        {
            // Whatever the journal threw (a SQLite that cannot load included): no stop is known to
            // be under way, and the stop at shutdown does not wait on a guess.
            return null;
        }
    }

    /// <summary>
    /// At shutdown, with nothing to continue: when every guest is shut off already and a whole-host
    /// stop of this boot has finished (watch's, that this one waited for or came after), this stop
    /// begins no run of its own: it reports that one. Anything still up, and it is a stop as ever.
    /// </summary>
    /// <returns>The joined run, or null when this stop must run.</returns>
    private static RunRecord? JoinedRun(
        StopRequest request, Journal? journal, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries, DateTimeOffset bootTime, Action<Fault> found)
    {
        if (!request.AtShutdown || request.Only is not null || journal is null || entries.Any(e => e.Guest.State != GuestState.Shutoff))
        {
            return null;
        }

        try
        {
            return journal.LastRun(RunKind.Stop) is { FinishedAt: not null, Only: null } last && last.StartedAt >= bootTime ? last : null;
        }
        catch (JournalException e)
        {
            found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; no earlier stop to join is looked for, continuing"));
            return null;
        }
    }
}
