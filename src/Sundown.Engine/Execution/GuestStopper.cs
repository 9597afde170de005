using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Journal;
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
        await RecordAsync(() => executor.Recorder.GuestFinishedAsync(Guest.Uri, Guest.Uuid, outcome, seconds));
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
        using (var slotWait = Until(step.StartBy, interrupt))
        {
            if (!await executor.ShutdownSlots.EnterAsync(slotWait.Token))
            {
                await SkipAsync(step.Kind, "no shutdown slot came free before its time was up");
                return null;
            }
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
        using (var slotWait = Until(step.StartBy, interrupt))
        {
            if (!await executor.SaveSlots.EnterAsync(slotWait.Token))
            {
                await SkipAsync(step.Kind, "no save slot came free in time");
                return null;
            }
        }

        var (id, at) = await BeginAsync(step.Kind);
        var save = Task.Run(() => host.ManagedSave(Guest.Uuid));
        // The slot is held for as long as QEMU is really saving, even after we move on.
        _ = save.ContinueWith(_ => executor.SaveSlots.Exit(), TaskScheduler.Default);
        using var cut = Until(step.EndBy, interrupt);
        await Task.WhenAny(save, Task.Delay(Timeout.InfiniteTimeSpan, executor.Time, cut.Token).ContinueWith(_ => { }, TaskScheduler.Default));
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
            using var cut = Until(until, interrupt);
            await Task.WhenAny(task, Task.Delay(Timeout.InfiniteTimeSpan, executor.Time, cut.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            if (!task.IsCompleted)
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

    private async Task<bool> WaitOffAsync(TimeSpan until, CancellationToken interrupt)
    {
        using var stop = Until(until, interrupt);
        var delay = Task.Delay(Timeout.InfiniteTimeSpan, executor.Time, stop.Token);
        await Task.WhenAny(watch.Off, delay);
        return watch.Off.IsCompleted;
    }

    /// <summary>A token cancelled at <paramref name="until"/> (from the run's start) or on interrupt.</summary>
    private Deadline Until(TimeSpan? until, CancellationToken interrupt) =>
        new(until is { } u ? u - Elapsed : null, executor.Time, interrupt);

    private async Task<(long Id, DateTimeOffset At)> BeginAsync(StepKind kind)
    {
        var at = executor.Time.GetUtcNow();
        long id = await RecordAsync(() => executor.Recorder.StepStartedAsync(Guest.Uri, Guest.Uuid, kind.ToName(), at));
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
            await RecordAsync(() => executor.Recorder.StepEndedAsync(id, now, result, error));
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

    private Task RecordAsync(Func<Task> write) => RecordAsync(async () =>
    {
        await write();
        return 0L;
    });

    /// <summary>
    /// A journal that cannot be written (a full disk) must not stop the guests from being
    /// stopped: the step goes ahead, and the console still shows it.
    /// </summary>
    private async Task<long> RecordAsync(Func<Task<long>> write)
    {
        try
        {
            return await write();
        }
        catch (Exception e) when (e is JournalException or IOException)
        {
            executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, StepResult.Error, null, $"journal: {e.Message}"));
            return NotRecorded;
        }
    }
}
