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
    /// The state directory's lock. Interactive, another sundown holding it is refused at once (a
    /// <see cref="StateLockedException"/>). At shutdown the holder is a stop already running (watch's,
    /// begun at logind's announcement): it is waited for, at most until this stop's own deadline and
    /// the destroys' grace after it, since that stop began earlier with the same budget and ends
    /// before; a holder that outlives that (hung) is still refused, and the stop at shutdown then
    /// goes on without the lock (<c>StopCommand</c>'s second try).
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

        var until = began + (request.Budget ?? s_joinWithoutBudget) + Estimates.DestroyGrace;
        bool said = false;
        while (true)
        {
            try
            {
                var taken = StateLock.TryAcquire(state, Failed);
                if (said)
                {
                    observer?.Notice($"the stop that held {state} has ended, after {Seconds(time.GetUtcNow() - began)}: this one goes on with what it left");
                }

                return taken;
            }
            catch (StateLockedException locked) when (time.GetUtcNow() < until)
            {
                if (!said)
                {
                    said = true;
                    observer?.Notice($"{locked.Message}: a stop already under way (sundown watch's, begun when the shutdown was requested); waiting for it to end, until {until.UtcDateTime:HH:mm:ss} UTC at most");
                }

                await Task.Delay(s_lockPoll, time);
            }
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
