using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Execution;

/// <summary>One guest's way down its ladder, held to the times of its schedule.</summary>
internal sealed class GuestStopper(
    StopExecutor executor,
    IGuestHost host,
    PlannedGuest planned,
    ImmutableArray<ScheduledStep> schedule,
    GuestWatch watch,
    DateTimeOffset runStart)
{
    /// <summary>The id of a step the journal failed to record.</summary>
    private const long NotRecorded = -1;

    private readonly List<StepReport> _steps = [];
    private readonly DateTimeOffset _guestStart = executor.Time.GetUtcNow();

    private Guest Guest => planned.Guest;

    private TimeSpan Elapsed => executor.Time.GetUtcNow() - runStart;

    internal async Task<GuestReport> RunAsync(CancellationToken interrupt)
    {
        GuestOutcome outcome;
        try
        {
            outcome = await ClimbAsync(interrupt);
        }
        catch (Exception e)
        {
            // Whatever broke (a host gone for good, a full journal disk), this guest must not
            // stay up, and the other guests and tiers must go on: power it off and say so.
            outcome = await LastResortAsync(e);
        }

        double seconds = Math.Round((executor.Time.GetUtcNow() - _guestStart).TotalSeconds, 3);
        try
        {
            await executor.Recorder.GuestFinishedAsync(Guest.Uri, Guest.Uuid, outcome, seconds);
        }
        catch (Exception e) when (IsJournalFailure(e))
        {
            JournalFailed(e);
        }

        executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, null, outcome, null));
        return new GuestReport(Guest.Uri, Guest.Name, Guest.Uuid, Guest.State.ToContractName(), outcome.ToWord(), seconds, [.. _steps]);
    }

    private async Task<GuestOutcome> ClimbAsync(CancellationToken interrupt)
    {
        // It may have gone off between the inventory and now (by itself, or undefined).
        if (await IsOffAsync())
        {
            return GuestOutcome.AlreadyOff;
        }

        foreach (var step in schedule)
        {
            if (interrupt.IsCancellationRequested)
            {
                return GuestOutcome.Skipped;
            }

            if (step.StartBy is { } startBy && Elapsed >= startBy)
            {
                await SkipAsync(step.Kind, "no time left for it before the deadline");
                continue;
            }

            var outcome = step.Kind switch
            {
                StepKind.Agent or StepKind.Acpi => await ShutDownAsync(step, interrupt),
                StepKind.Save => await SaveAsync(step, interrupt),
                StepKind.Destroy => await DestroyAsync(),
                _ => await PrepareAsync(step.Kind),
            };
            if (outcome is not null)
            {
                return outcome.Value;
            }

            if (watch.Off.IsCompleted)
            {
                return watch.Off.Result;
            }
        }

        return GuestOutcome.Failed;
    }

    /// <summary>Asks the guest to shut down and waits for it until the step's time is up.</summary>
    private async Task<GuestOutcome?> ShutDownAsync(ScheduledStep step, CancellationToken interrupt)
    {
        // A guest queued behind the shutdowns limit waits for a slot as long as its graceful
        // time lasts, then gets its full wait from when it was let in (never past that time).
        if (!await EnterAsync(executor.ShutdownSlots, step.StartBy, interrupt))
        {
            await SkipAsync(step.Kind, "no shutdown slot came free before its time was up");
            return null;
        }

        try
        {
            var end = Elapsed + step.Wait;
            if (step.StartBy is { } gracefulEnd && gracefulEnd < end)
            {
                end = gracefulEnd;
            }

            var (id, at) = await BeginAsync(step.Kind);
            // The request itself is held to the step's time: an agent that hangs, or a domain
            // job that holds libvirt's lock, must not carry the guest past its deadline.
            string? error = await CallAsync(() => Shutdown(step.Kind), end, interrupt);
            if (error is not null)
            {
                return await IsOffAsync() ? await EndAsync(id, at, StepResult.Ok, null, watch.Off.Result) : await EndAsync(id, at, StepResult.Error, error, null);
            }

            if (await WaitOffAsync(end, interrupt) || await IsOffAsync())
            {
                return await EndAsync(id, at, StepResult.Ok, null, watch.Off.Result);
            }

            return interrupt.IsCancellationRequested
                ? await EndAsync(id, at, StepResult.Error, "interrupted", GuestOutcome.Skipped)
                : await EndAsync(id, at, StepResult.Timeout, null, null);
        }
        finally
        {
            executor.ShutdownSlots.Exit();
        }
    }

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

    /// <summary>Managed save; at the step's end the next step (destroy) begins, even if the save still runs.</summary>
    private async Task<GuestOutcome?> SaveAsync(ScheduledStep step, CancellationToken interrupt)
    {
        if (!await EnterAsync(executor.SaveSlots, step.StartBy, interrupt))
        {
            await SkipAsync(step.Kind, "no save slot came free in time");
            return null;
        }

        var (id, at) = await BeginAsync(step.Kind);
        var save = Task.Run(() => host.ManagedSave(Guest.Uuid));
        // The slot is held for as long as QEMU is really saving, even after we move on.
        _ = save.ContinueWith(_ => executor.SaveSlots.Exit(), TaskScheduler.Default);
        await WaitAsync(save, step.EndBy, interrupt);
        if (save.IsCompletedSuccessfully)
        {
            return await EndAsync(id, at, StepResult.Ok, null, GuestOutcome.Saved);
        }

        if (save.IsFaulted)
        {
            string error = save.Exception!.InnerException?.Message ?? save.Exception.Message;
            return await IsOffAsync() ? await EndAsync(id, at, StepResult.Ok, null, watch.Off.Result) : await EndAsync(id, at, StepResult.Error, error, null);
        }

        return interrupt.IsCancellationRequested
            ? await EndAsync(id, at, StepResult.Error, "interrupted", GuestOutcome.Skipped)
            : await EndAsync(id, at, StepResult.Timeout, "the save did not finish before the deadline", null);
    }

    private async Task<GuestOutcome?> DestroyAsync()
    {
        var (id, at) = await BeginAsync(StepKind.Destroy);
        string? error = await CallAsync(() => host.Destroy(Guest.Uuid), until: null, CancellationToken.None);
        if (error is null)
        {
            return await EndAsync(id, at, StepResult.Ok, null, GuestOutcome.Destroyed);
        }

        // Off by itself a moment before the destroy: not an error.
        return await IsOffAsync()
            ? await EndAsync(id, at, StepResult.Ok, null, watch.Off.Result)
            : await EndAsync(id, at, StepResult.Error, error, GuestOutcome.Failed);
    }

    /// <summary>After an unexpected failure: power the guest off if it is still up.</summary>
    private async Task<GuestOutcome> LastResortAsync(Exception failure)
    {
        try
        {
            if (await IsOffAsync())
            {
                return watch.Off.Result;
            }

            await Task.Run(() => host.Destroy(Guest.Uuid));
            return GuestOutcome.Destroyed;
        }
        catch (Exception)
        {
            executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, StepResult.Error, null, failure.Message));
            return GuestOutcome.Failed;
        }
    }

    /// <summary>Resume or wakeup: it makes the guest able to hear the next step.</summary>
    private async Task<GuestOutcome?> PrepareAsync(StepKind kind)
    {
        var (id, at) = await BeginAsync(kind);
        string? error = await CallAsync(
            () =>
            {
                if (kind == StepKind.Wakeup)
                {
                    host.Wakeup(Guest.Uuid);
                }
                else
                {
                    host.Resume(Guest.Uuid);
                }
            },
            until: null,
            CancellationToken.None);
        await EndAsync(id, at, error is null ? StepResult.Ok : StepResult.Error, error, null);
        return null;
    }

    /// <summary>
    /// Runs a host call off the caller's thread; a failure comes back as its message. With
    /// <paramref name="until"/>, the wait for it ends then (the call goes on in the background).
    /// </summary>
    private async Task<string?> CallAsync(Action call, TimeSpan? until, CancellationToken interrupt)
    {
        var task = Task.Run(call);
        if (until is not null)
        {
            if (!await WaitAsync(task, until, interrupt))
            {
                _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default);
                return "libvirt did not answer before the step's time was up";
            }
        }

        try
        {
            await task;
            return null;
        }
        catch (HostException e)
        {
            return e.Message;
        }
    }

    /// <summary>Reads the state from the host: an event may have been missed, or the guest may be gone.</summary>
    private async Task<bool> IsOffAsync()
    {
        if (watch.Off.IsCompleted)
        {
            return true;
        }

        try
        {
            var status = await Task.Run(() => host.GetStatus(Guest.Uuid));
            if (status.State == GuestState.Shutoff)
            {
                watch.MarkOff(status.Reason);
                return true;
            }

            return false;
        }
        catch (HostException e) when (e.Kind == HostErrorKind.GuestNotFound)
        {
            watch.MarkGone();
            return true;
        }
        catch (HostException)
        {
            // Unknown: the ladder goes on, and its destroy settles it.
            return false;
        }
    }

    private Task<bool> WaitOffAsync(TimeSpan until, CancellationToken interrupt) => WaitAsync(watch.Off, until, interrupt);

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

    /// <summary>Takes a slot of <paramref name="limit"/>, waiting for one until <paramref name="until"/> or the interrupt; false if none came.</summary>
    private async Task<bool> EnterAsync(ConcurrencyLimit limit, TimeSpan? until, CancellationToken interrupt)
    {
        // Most guests find a slot free (or no limit at all): no deadline to set up for them.
        if (limit.TryEnter())
        {
            return true;
        }

        using var slotWait = new Deadline(Left(until), executor.Time, interrupt);
        return await limit.EnterAsync(slotWait.Token);
    }

    /// <summary>The time left until <paramref name="until"/> (from the run's start): zero if it has passed, infinite for none.</summary>
    private TimeSpan Left(TimeSpan? until) =>
        until is not { } u ? Timeout.InfiniteTimeSpan
        : u - Elapsed is var left && left > TimeSpan.Zero ? left
        : TimeSpan.Zero;

    private async Task<(long Id, DateTimeOffset At)> BeginAsync(StepKind kind)
    {
        var at = executor.Time.GetUtcNow();
        long id;
        try
        {
            id = await executor.Recorder.StepStartedAsync(Guest.Uri, Guest.Uuid, kind.ToName(), at);
        }
        catch (Exception e) when (IsJournalFailure(e))
        {
            JournalFailed(e);
            id = NotRecorded;
        }

        executor.Report(new StopProgress(at, Guest.Uri, Guest.Uuid, Guest.Name, kind.ToName(), null, null, null));
        _steps.Add(new StepReport(kind.ToName(), at, null, null, null));
        return (id, at);
    }

    private async Task<GuestOutcome?> EndAsync(long id, DateTimeOffset at, StepResult result, string? error, GuestOutcome? outcome)
    {
        var now = executor.Time.GetUtcNow();
        // A step whose start the journal could not take has nothing there to end.
        if (id != NotRecorded)
        {
            try
            {
                await executor.Recorder.StepEndedAsync(id, now, result, error);
            }
            catch (Exception e) when (IsJournalFailure(e))
            {
                JournalFailed(e);
            }
        }

        var step = _steps[^1];
        _steps[^1] = step with { EndedAt = now, Result = result.ToWord(), Error = error };
        executor.Report(new StopProgress(now, Guest.Uri, Guest.Uuid, Guest.Name, step.Action, result, null, error));
        return outcome;
    }

    private async Task SkipAsync(StepKind kind, string why)
    {
        var (id, at) = await BeginAsync(kind);
        await EndAsync(id, at, StepResult.Skipped, why, null);
    }

    /// <summary>
    /// A journal that cannot be written (a full disk) must not stop the guests from being
    /// stopped: the step goes ahead, and the console still shows it.
    /// </summary>
    private static bool IsJournalFailure(Exception e) => e is JournalException or IOException;

    private void JournalFailed(Exception e) =>
        executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, StepResult.Error, null, $"journal: {e.Message}"));
}
