using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Execution;

/// <summary>
/// One guest's way down its ladder, held to the times of its schedule (what they mean:
/// <see cref="ScheduledStep"/>). Each step returns a <see cref="StepVerdict"/>; every call into
/// the host runs on a thread of its own and is waited for only until the step's end, so a host
/// that hangs costs a guest its step, never the stop its deadline. When the run's budget is
/// tightened (<see cref="StopExecutor.Tighten"/>), its remaining times move earlier
/// (<see cref="Tighten"/>) and the step it is in wakes up to count to its new end.
/// </summary>
internal sealed partial class GuestStopper(
    StopExecutor executor,
    IGuestHost host,
    PlannedGuest planned,
    ImmutableArray<ScheduledStep> schedule,
    GuestWatch watch,
    DateTimeOffset runStart)
{
    /// <summary>
    /// How long a state read after a step's end may hold up the next step (it looks for an off
    /// that an event may have missed): half of the destroy's allowance, so the destroy that
    /// usually follows still begins in time.
    /// </summary>
    private static readonly TimeSpan s_lateRead = Estimates.DestroyAllowance / 2;

    /// <summary>
    /// How late past its <see cref="ScheduledStep.StartBy"/> a save is still begun. The graceful
    /// steps before it end at the very moment the save must begin (the end of the graceful time is
    /// the deadline less the save reserve), so without this a save after a graceful step that ran
    /// its full time would always be skipped for the milliseconds the step took to end. It comes
    /// out of the destroy's allowance, which the save's end (the deadline less that allowance) keeps.
    /// </summary>
    private static readonly TimeSpan s_saveStartSlack = Estimates.DestroyAllowance / 4;

    private readonly List<StepReport> _steps = [];
    private readonly DateTimeOffset _guestStart = executor.Time.GetUtcNow();

    /// <summary>The steps' times: the schedule, replaced whole (never changed in place) by each tightening.</summary>
    private ScheduledStep[] _schedule = [.. schedule];

    /// <summary>Whether a tightening has moved the schedule (read by the destroy).</summary>
    private volatile bool _tightened;

    internal PlannedGuest Planned => planned;

    private Guest Guest => planned.Guest;

    /// <summary>
    /// Moves the remaining times earlier, step by step to the earlier of the two (a tightening
    /// never gives time back); <paramref name="tighter"/> is the same ladder scheduled to the new deadline.
    /// </summary>
    internal void Tighten(ImmutableArray<ScheduledStep> tighter)
    {
        var now = Volatile.Read(ref _schedule);
        var next = new ScheduledStep[now.Length];
        for (int i = 0; i < now.Length; i++)
        {
            var (had, want) = (now[i], i < tighter.Length && tighter[i].Kind == now[i].Kind ? tighter[i] : now[i]);
            next[i] = had with
            {
                Wait = want.Wait < had.Wait ? want.Wait : had.Wait,
                StartBy = Earlier(had.StartBy, want.StartBy),
                EndBy = Earlier(had.EndBy, want.EndBy),
            };
        }

        Volatile.Write(ref _schedule, next);
        _tightened = true;
    }

    private static TimeSpan? Earlier(TimeSpan? a, TimeSpan? b) => a is not { } x ? b : b is not { } y ? a : x < y ? x : y;

    /// <summary>Step <paramref name="index"/> as it stands now (a tightening may have moved it).</summary>
    private ScheduledStep Step(int index) => Volatile.Read(ref _schedule)[index];

    private TimeSpan Elapsed => executor.Time.GetUtcNow() - runStart;

    internal async Task<GuestReport> RunAsync(CancellationToken interrupt)
    {
        GuestOutcome outcome;
        try
        {
            // Waited for, and bounded to a share of the graceful time: the steps keep their times.
            if (executor.Hooks is { } hooks && !interrupt.IsCancellationRequested)
            {
                await hooks.PreStopAsync(planned, () => Volatile.Read(ref _schedule), runStart, () => executor.CurrentWake.Token(CancellationToken.None), interrupt);
            }

            outcome = await ClimbAsync(interrupt);
        }
        catch (Exception e)
        {
            // A bug, not a fault of the host (those are verdicts): this guest must still not
            // stay up, and the other guests and tiers must go on. Power it off and say so.
            outcome = await LastResortAsync(e);
        }

        double seconds = Math.Round((executor.Time.GetUtcNow() - _guestStart).TotalSeconds, 3);
        await executor.Journal.SettleAsync(executor.Journal.GuestFinished(Guest, outcome, seconds));
        executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, null, outcome, null));
        // In the background, held to the guest's deadline: it never holds up the next tier.
        executor.Hooks?.PostStop(planned, Volatile.Read(ref _schedule), runStart, outcome.ToWord());
        return new GuestReport(Guest.Uri, Guest.Name, Guest.Uuid, Guest.State.ToContractName(), outcome.ToWord(), seconds, [.. _steps]);
    }

    private async Task<GuestOutcome> ClimbAsync(CancellationToken interrupt)
    {
        // It may have gone off between the inventory and now (by itself, or undefined). A host
        // slow to say must not hold up the ladder: the read waits a call's time at most, and
        // never past the moment the destroy must begin.
        var until = Elapsed + Estimates.CallWait;
        if (Volatile.Read(ref _schedule).FirstOrDefault(s => s.Kind == StepKind.Destroy)?.EndBy is { } destroyEnd && destroyEnd - Estimates.DestroyGrace - Estimates.DestroyAllowance < until)
        {
            until = destroyEnd - Estimates.DestroyGrace - Estimates.DestroyAllowance;
        }

        if (await OffNowAsync(until) is not null)
        {
            return GuestOutcome.AlreadyOff;
        }

        for (int i = 0; i < _schedule.Length; i++)
        {
            if (interrupt.IsCancellationRequested)
            {
                return GuestOutcome.Skipped;
            }

            var step = Step(i);
            var verdict = step.StartBy is { } startBy && Elapsed >= startBy + (step.Kind == StepKind.Save ? s_saveStartSlack : TimeSpan.Zero)
                ? await SkipAsync(step.Kind, "no time left for it before the deadline")
                : await TakeAsync(i, interrupt);
            switch (verdict)
            {
                case StepVerdict.Off off:
                    return off.Outcome;
                case StepVerdict.Halt halt:
                    return halt.Outcome;
                case StepVerdict.Next when watch.Off.IsCompleted:
                    // The step failed or timed out, yet the guest went off meanwhile.
                    return watch.Off.Result;
            }
        }

        // Only a ladder without its destroy gets here: the guest is still up.
        return GuestOutcome.Failed;
    }

    private Task<StepVerdict> TakeAsync(int index, CancellationToken interrupt) => Step(index).Kind switch
    {
        StepKind.Agent or StepKind.Acpi => ShutDownAsync(index, interrupt),
        StepKind.Save => SaveAsync(index, interrupt),
        StepKind.Destroy => DestroyAsync(index),
        StepKind.Snapshot => SnapshotAsync(index),
        _ => PrepareAsync(index),
    };

    /// <summary>Asks the guest to shut down and waits for it until the step's time is up.</summary>
    private async Task<StepVerdict> ShutDownAsync(int index, CancellationToken interrupt)
    {
        var step = Step(index);
        // A guest queued behind the shutdowns limit waits for a slot as long as its graceful
        // time lasts, then gets its full wait from when it was let in (never past that time).
        if (!await EnterAsync(executor.ShutdownSlots, () => Step(index).StartBy, interrupt))
        {
            return await SkipAsync(step.Kind, "no shutdown slot came free before its time was up");
        }

        try
        {
            // An agent's shutdown can take as long as the agent does to answer: a long call.
            var longCalls = step.Kind == StepKind.Agent ? executor.LongCallsOf(host) : null;
            if (longCalls is not null && !await EnterAsync(longCalls, () => Step(index).StartBy, interrupt))
            {
                return await SkipAsync(step.Kind, "every long-call slot of the host stayed taken until its time was up");
            }

            return await InStepAsync(step.Kind, async () =>
            {
                var begun = Elapsed;
                TimeSpan? End() => EndOf(Step(index), begun);
                var request = HostCall.Run(() => Shutdown(step.Kind));
                if (longCalls is not null)
                {
                    // Held for as long as libvirtd works on it, even after the step gave up on it.
                    _ = request.ContinueWith(_ => longCalls.Exit(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                if (!await WaitAsync(request, End, interrupt))
                {
                    return await OffNowAsync(Elapsed + s_lateRead) is { } gone ? new StepVerdict.Off(gone)
                        : interrupt.IsCancellationRequested ? Interrupted()
                        : new StepVerdict.Next(StepResult.Timeout, "libvirt did not answer the shutdown request before the step's time was up");
                }

                if (request.Exception?.InnerException is { } refused)
                {
                    var status = await ReadStatusAsync(End());
                    if (OffOf(status) is { } off)
                    {
                        return new StepVerdict.Off(off);
                    }

                    // Already shutting down (a power-button press from someone else): QEMU
                    // refuses a second request (OPERATION_INVALID), and the guest is on its way:
                    // wait for it as if it had heard this one.
                    if (status?.State != GuestState.Shutdown)
                    {
                        return new StepVerdict.Next(StepResult.Error, refused.Message);
                    }
                }

                if (await WaitAsync(watch.Off, End, interrupt))
                {
                    return new StepVerdict.Off(watch.Off.Result);
                }

                return await OffNowAsync(Elapsed + s_lateRead) is { } late ? new StepVerdict.Off(late)
                    : interrupt.IsCancellationRequested ? Interrupted()
                    : new StepVerdict.Next(StepResult.Timeout);
            });
        }
        finally
        {
            executor.ShutdownSlots.Exit();
        }
    }

    /// <summary>Runs on the call's own thread.</summary>
    private void Shutdown(StepKind kind)
    {
        if (kind == StepKind.Agent)
        {
            host.Shutdown(Guest.Uuid, ShutdownMethod.Agent);
            return;
        }

        try
        {
            host.Shutdown(Guest.Uuid, ShutdownMethod.Acpi);
        }
        catch (HostException e) when (e.Kind == HostErrorKind.Unsupported)
        {
            // A hypervisor without an ACPI button of its own (libvirt's test driver) still
            // has its default shutdown: use that rather than skip to the next step.
            host.Shutdown(Guest.Uuid, ShutdownMethod.Default);
        }
    }

    /// <summary>
    /// Managed save, held to its end; a save still running then is aborted (so that libvirtd
    /// and the disk are free for the destroy that follows) and the next step begins.
    /// </summary>
    private async Task<StepVerdict> SaveAsync(int index, CancellationToken interrupt)
    {
        var step = Step(index);
        TimeSpan? StartBy() => Step(index).StartBy;
        if (!await EnterAsync(executor.SaveSlots, StartBy, interrupt))
        {
            return await SkipAsync(step.Kind, "no save slot came free in time");
        }

        var longCalls = executor.LongCallsOf(host);
        if (!await EnterAsync(longCalls, StartBy, interrupt))
        {
            executor.SaveSlots.Exit();
            return await SkipAsync(step.Kind, "every long-call slot of the host stayed taken until its time was up");
        }

        return await InStepAsync(step.Kind, async () =>
        {
            var save = HostCall.Run(() => host.ManagedSave(Guest.Uuid));
            // The slots are held for as long as QEMU is really saving, even after we move on.
            _ = save.ContinueWith(
                _ =>
                {
                    longCalls.Exit();
                    executor.SaveSlots.Exit();
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            await WaitAsync(save, () => Step(index).EndBy, interrupt);
            if (save.IsCompletedSuccessfully)
            {
                return new StepVerdict.Off(GuestOutcome.Saved);
            }

            if (save.IsFaulted)
            {
                string error = save.Exception!.InnerException?.Message ?? save.Exception.Message;
                return await OffNowAsync(Elapsed + s_lateRead) is { } off ? new StepVerdict.Off(off) : new StepVerdict.Next(StepResult.Error, error);
            }

            if (interrupt.IsCancellationRequested)
            {
                return Interrupted();
            }

            string aborted = await AbortAsync(save);
            return save.IsCompletedSuccessfully
                ? new StepVerdict.Off(GuestOutcome.Saved)
                : new StepVerdict.Next(StepResult.Timeout, $"the save did not finish before the deadline; {aborted}");
        });
    }

    /// <summary>
    /// Aborts a save given up on (virDomainAbortJob) and waits a moment for it to end. Held to
    /// the destroy's allowance, which it eats into: the destroy must still begin in time.
    /// </summary>
    private async Task<string> AbortAsync(Task save)
    {
        var until = Elapsed + Estimates.DestroyAllowance;
        var abort = HostCall.Run(() => host.AbortJob(Guest.Uuid));
        if (!await WaitAsync(abort, until, CancellationToken.None))
        {
            return "libvirt did not answer the abort in time";
        }

        if (abort.Exception?.InnerException is HostException { Kind: HostErrorKind.Unsupported })
        {
            return "the host cannot abort it (it has no jobs)";
        }

        if (abort.Exception?.InnerException is { } failed)
        {
            return $"aborting it failed: {failed.Message}";
        }

        await WaitAsync(save, until, CancellationToken.None);
        return "aborted";
    }

    private Task<StepVerdict> DestroyAsync(int index) => InStepAsync(StepKind.Destroy, async () =>
    {
        var begun = Elapsed;
        var destroy = HostCall.Run(() => host.Destroy(Guest.Uuid));
        // Not cut short by an interrupt, nor by a tightening: a destroy begun is seen through to the
        // end it had when it began (it is the last step; giving up on it early gains nothing). One
        // begun after a tightening moved its deadline into the past still gets the allowance and
        // the grace: it is the one step that can still make the guest safe.
        var end = EndOf(Step(index), begun);
        if (_tightened && end is { } e && e < begun + Estimates.DestroyAllowance + Estimates.DestroyGrace)
        {
            end = begun + Estimates.DestroyAllowance + Estimates.DestroyGrace;
        }

        if (!await WaitAsync(destroy, end, CancellationToken.None))
        {
            // No state read now: a host that did not answer the destroy will not answer it
            // either, and the grace is all the stop may take past its budget.
            return watch.Off.IsCompleted ? new StepVerdict.Off(watch.Off.Result)
                : new StepVerdict.Halt(GuestOutcome.Failed, StepResult.Timeout, "libvirt did not answer the destroy before the deadline and its grace");
        }

        if (destroy.Exception?.InnerException is not { } error)
        {
            return new StepVerdict.Off(GuestOutcome.Destroyed);
        }

        // Off by itself a moment before the destroy: not an error.
        return await OffNowAsync(Elapsed + s_lateRead) is { } gone ? new StepVerdict.Off(gone)
            : new StepVerdict.Halt(GuestOutcome.Failed, StepResult.Error, error.Message);
    });

    /// <summary>Resume or wakeup: it makes the guest able to hear the next step.</summary>
    private Task<StepVerdict> PrepareAsync(int index) => InStepAsync(Step(index).Kind, async () =>
    {
        var step = Step(index);
        var begun = Elapsed;
        var call = HostCall.Run(() =>
        {
            if (step.Kind == StepKind.Wakeup)
            {
                host.Wakeup(Guest.Uuid);
            }
            else
            {
                host.Resume(Guest.Uuid);
            }
        });
        if (!await WaitAsync(call, () => EndOf(Step(index), begun), CancellationToken.None))
        {
            return new StepVerdict.Next(StepResult.Error, "libvirt did not answer before the step's time was up");
        }

        if (call.Exception?.InnerException is not { } error)
        {
            return new StepVerdict.Next(StepResult.Ok);
        }

        return await OffNowAsync(Elapsed + s_lateRead) is { } off ? new StepVerdict.Off(off) : new StepVerdict.Next(StepResult.Error, error.Message);
    });

    /// <summary>After a bug in a step: power the guest off if it is still up, within a destroy's time.</summary>
    private async Task<GuestOutcome> LastResortAsync(Exception failure)
    {
        executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, StepResult.Error, null, failure.Message));
        try
        {
            if (await OffNowAsync(Elapsed + s_lateRead) is { } off)
            {
                return off;
            }

            var destroy = HostCall.Run(() => host.Destroy(Guest.Uuid));
            return await WaitAsync(destroy, Elapsed + Estimates.DestroyAllowance + Estimates.DestroyGrace, CancellationToken.None) && destroy.IsCompletedSuccessfully
                ? GuestOutcome.Destroyed
                : GuestOutcome.Failed;
        }
        catch (Exception)
        {
            return GuestOutcome.Failed;
        }
    }

    private static StepVerdict.Halt Interrupted() => new(GuestOutcome.Skipped, StepResult.Error, "interrupted");

    /// <summary>When a step begun at <paramref name="begun"/> ends at the latest (see <see cref="ScheduledStep"/>): its wait, never past its end.</summary>
    private static TimeSpan? EndOf(ScheduledStep step, TimeSpan begun)
    {
        switch (step.Kind)
        {
            case StepKind.Save:
                return step.EndBy;
            case StepKind.Destroy when step.EndBy is { } endBy:
                return endBy;
        }

        var end = begun + step.Wait;
        return step.EndBy is { } by && by < end ? by : end;
    }

    /// <summary>
    /// How the guest went off, if it is off: its watch, else a state read (an event may have
    /// been missed, or the guest may be gone). Null while it is up, or when the read does not
    /// answer by <paramref name="until"/>: unknown, and the ladder's destroy settles it.
    /// </summary>
    private async Task<GuestOutcome?> OffNowAsync(TimeSpan until) =>
        watch.Off.IsCompleted ? watch.Off.Result : OffOf(await ReadStatusAsync(until));

    /// <summary>The guest's state, or null when the host did not answer by <paramref name="until"/> or failed.</summary>
    private async Task<GuestStatus?> ReadStatusAsync(TimeSpan? until)
    {
        var read = HostCall.Run(() => host.GetStatus(Guest.Uuid));
        if (!await WaitAsync(read, until, CancellationToken.None))
        {
            return null;
        }

        return read.Exception?.InnerException switch
        {
            null => read.Result,
            // Gone from the host: a transient guest that stopped, or undefined. It is off.
            HostException { Kind: HostErrorKind.GuestNotFound } => new GuestStatus(GuestState.Shutoff, StateReasons.ShutoffShutdown),
            _ => null,
        };
    }

    private static GuestOutcome? OffOf(GuestStatus? status) =>
        status is { State: GuestState.Shutoff } off ? GuestWatch.OutcomeOf(StateReasons.OfShutoffReason(off.Reason)) : null;

    /// <summary>
    /// Waits for <paramref name="task"/> until <paramref name="until"/> (from the run's start; null
    /// for no limit) or the interrupt, whichever comes first; true if the task completed. It
    /// does not throw: the task's own failure is for the caller to read.
    /// </summary>
    private async Task<bool> WaitAsync(Task task, TimeSpan? until, CancellationToken interrupt)
    {
        // One timer and one registration on the executor's clock, not a linked token source,
        // a timer's source and a delay task per wait: thousands of guests wait at once.
        await task.WaitAsync(Left(until), executor.Time, interrupt).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return task.IsCompleted;
    }

    /// <summary>
    /// Like <see cref="WaitAsync(Task, TimeSpan?, CancellationToken)"/>, to an end that a tightening
    /// may move earlier: woken by each, it counts again to <paramref name="until"/>'s new answer.
    /// </summary>
    private async Task<bool> WaitAsync(Task task, Func<TimeSpan?> until, CancellationToken interrupt)
    {
        while (true)
        {
            // Taken before the end is read: a tightening between the two wakes this wait at once.
            var wake = executor.CurrentWake;
            await task.WaitAsync(Left(until()), executor.Time, wake.Token(interrupt)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (task.IsCompleted || !wake.Fired || interrupt.IsCancellationRequested)
            {
                return task.IsCompleted;
            }
        }
    }

    /// <summary>Takes a slot of <paramref name="limit"/>, waiting for one until <paramref name="until"/> (which a tightening may move) or the interrupt; false if none came.</summary>
    private async Task<bool> EnterAsync(ConcurrencyLimit limit, Func<TimeSpan?> until, CancellationToken interrupt)
    {
        // Most guests find a slot free (or no limit at all): no deadline to set up for them.
        if (limit.TryEnter())
        {
            return true;
        }

        while (true)
        {
            var wake = executor.CurrentWake;
            using var slotWait = new Deadline(Left(until()), executor.Time, wake.Token(interrupt));
            if (await limit.EnterAsync(slotWait.Token))
            {
                return true;
            }

            if (!wake.Fired || interrupt.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    /// <summary>The time left until <paramref name="until"/> (from the run's start): zero if it has passed, infinite for none.</summary>
    private TimeSpan Left(TimeSpan? until) =>
        until is not { } u ? Timeout.InfiniteTimeSpan
        : u - Elapsed is var left && left > TimeSpan.Zero ? left
        : TimeSpan.Zero;

    /// <summary>
    /// The one journal-and-report scope of a step: recorded and shown as begun, its body run,
    /// recorded and shown as ended with the body's verdict. A body that throws (a bug) ends
    /// its step in error, and the ladder goes on.
    /// </summary>
    private async Task<StepVerdict> InStepAsync(StepKind kind, Func<Task<StepVerdict>> body)
    {
        var at = executor.Time.GetUtcNow();
        var started = executor.Journal.StepStarted(Guest, kind.ToName(), at);
        // Recorded before it is taken, unless the journal is stuck: then taken all the same.
        await executor.Journal.SettleAsync(started);
        executor.Report(new StopProgress(at, Guest.Uri, Guest.Uuid, Guest.Name, kind.ToName(), null, null, null));

        StepVerdict verdict;
        try
        {
            verdict = await body();
        }
        catch (Exception e)
        {
            verdict = new StepVerdict.Next(StepResult.Error, e.Message);
        }

        var now = executor.Time.GetUtcNow();
        await executor.Journal.SettleAsync(executor.Journal.StepEnded(Guest, started, now, verdict.Result, verdict.Error));
        _steps.Add(new StepReport(kind.ToName(), at, now, verdict.Result.ToWord(), verdict.Error));
        executor.Report(new StopProgress(now, Guest.Uri, Guest.Uuid, Guest.Name, kind.ToName(), verdict.Result, null, verdict.Error));
        return verdict;
    }

    private Task<StepVerdict> SkipAsync(StepKind kind, string why) =>
        InStepAsync(kind, () => Task.FromResult<StepVerdict>(new StepVerdict.Next(StepResult.Skipped, why)));
}
