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
    private readonly List<StepReport> _steps = [];
    private readonly DateTimeOffset _guestStart = executor.Time.GetUtcNow();

    private Guest Guest => planned.Guest;

    private TimeSpan Elapsed => executor.Time.GetUtcNow() - runStart;

    internal async Task<GuestReport> RunAsync(CancellationToken interrupt)
    {
        var outcome = await ClimbAsync(interrupt);
        double seconds = Math.Round((executor.Time.GetUtcNow() - _guestStart).TotalSeconds, 3);
        executor.Recorder.GuestFinished(Guest.Uri, Guest.Uuid, outcome, seconds);
        executor.Report(new StopProgress(executor.Time.GetUtcNow(), Guest.Uri, Guest.Uuid, Guest.Name, null, null, outcome, null));
        return new GuestReport(Guest.Uri, Guest.Name, Guest.Uuid, Guest.State.ToContractName(), JournalWords.ToWord(outcome), seconds, [.. _steps]);
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
                Skip(step.Kind, "no time left for it before the deadline");
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
                return watch.Off.Result ? GuestOutcome.Saved : GuestOutcome.Shutdown;
            }
        }

        return GuestOutcome.Failed;
    }

    /// <summary>Asks the guest to shut down and waits for it until the step's time is up.</summary>
    private async Task<GuestOutcome?> ShutDownAsync(ScheduledStep step, CancellationToken interrupt)
    {
        var end = step.EndBy ?? Elapsed + step.Wait;
        using var giveUp = Until(end, interrupt);
        if (!await executor.ShutdownSlots.EnterAsync(giveUp.Token))
        {
            Skip(step.Kind, "no shutdown slot came free before its time was up");
            return null;
        }

        try
        {
            var (id, at) = Begin(step.Kind);
            string? error = await CallAsync(() => Shutdown(step.Kind));
            if (error is not null)
            {
                return await IsOffAsync() ? End(id, at, StepResult.Ok, null, GuestOutcome.Shutdown) : End(id, at, StepResult.Error, error, null);
            }

            bool off = await WaitOffAsync(end, interrupt) || await IsOffAsync();
            if (off)
            {
                return End(id, at, StepResult.Ok, null, watch.Off.Result ? GuestOutcome.Saved : GuestOutcome.Shutdown);
            }

            return interrupt.IsCancellationRequested
                ? End(id, at, StepResult.Error, "interrupted", GuestOutcome.Skipped)
                : End(id, at, StepResult.Timeout, null, null);
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
        using var giveUp = Until(step.StartBy, interrupt);
        if (!await executor.SaveSlots.EnterAsync(giveUp.Token))
        {
            Skip(step.Kind, "no save slot came free in time");
            return null;
        }

        var (id, at) = Begin(step.Kind);
        var save = Task.Run(() => host.ManagedSave(Guest.Uuid));
        // The slot is held for as long as QEMU is really saving, even after we move on.
        _ = save.ContinueWith(_ => executor.SaveSlots.Exit(), TaskScheduler.Default);

        using var cut = Until(step.EndBy, interrupt);
        await Task.WhenAny(save, Task.Delay(Timeout.InfiniteTimeSpan, executor.Time, cut.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        if (save.IsCompletedSuccessfully)
        {
            return End(id, at, StepResult.Ok, null, GuestOutcome.Saved);
        }

        if (save.IsFaulted)
        {
            string error = save.Exception!.InnerException?.Message ?? save.Exception.Message;
            return await IsOffAsync() ? End(id, at, StepResult.Ok, null, watch.Off.Result ? GuestOutcome.Saved : GuestOutcome.Shutdown) : End(id, at, StepResult.Error, error, null);
        }

        return interrupt.IsCancellationRequested
            ? End(id, at, StepResult.Error, "interrupted", GuestOutcome.Skipped)
            : End(id, at, StepResult.Timeout, "the save did not finish before the deadline", null);
    }

    private async Task<GuestOutcome?> DestroyAsync()
    {
        var (id, at) = Begin(StepKind.Destroy);
        string? error = await CallAsync(() => host.Destroy(Guest.Uuid));
        if (error is null)
        {
            return End(id, at, StepResult.Ok, null, GuestOutcome.Destroyed);
        }

        // Off by itself a moment before the destroy: not an error.
        return await IsOffAsync()
            ? End(id, at, StepResult.Ok, null, watch.Off.Result ? GuestOutcome.Saved : GuestOutcome.Shutdown)
            : End(id, at, StepResult.Error, error, GuestOutcome.Failed);
    }

    /// <summary>Resume or wakeup: it makes the guest able to hear the next step.</summary>
    private async Task<GuestOutcome?> PrepareAsync(StepKind kind)
    {
        var (id, at) = Begin(kind);
        string? error = await CallAsync(() =>
        {
            if (kind == StepKind.Wakeup)
            {
                host.Wakeup(Guest.Uuid);
            }
            else
            {
                host.Resume(Guest.Uuid);
            }
        });
        End(id, at, error is null ? StepResult.Ok : StepResult.Error, error, null);
        return null;
    }

    /// <summary>Runs a host call off the caller's thread; a failure comes back as its message.</summary>
    private static async Task<string?> CallAsync(Action call)
    {
        try
        {
            await Task.Run(call);
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
                // SHUTOFF reason SAVED is 5.
                watch.MarkOff(saved: status.Reason == 5);
                return true;
            }

            return false;
        }
        catch (HostException e) when (e.Kind == HostErrorKind.GuestNotFound)
        {
            watch.MarkOff(saved: false);
            return true;
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

    private (long Id, DateTimeOffset At) Begin(StepKind kind)
    {
        var at = executor.Time.GetUtcNow();
        long id = executor.Recorder.StepStarted(Guest.Uri, Guest.Uuid, kind.ToName(), at);
        executor.Report(new StopProgress(at, Guest.Uri, Guest.Uuid, Guest.Name, kind.ToName(), null, null, null));
        _steps.Add(new StepReport(kind.ToName(), at, null, null, null));
        return (id, at);
    }

    private GuestOutcome? End(long id, DateTimeOffset at, StepResult result, string? error, GuestOutcome? outcome)
    {
        var now = executor.Time.GetUtcNow();
        executor.Recorder.StepEnded(id, now, result, error);
        var step = _steps[^1];
        _steps[^1] = step with { EndedAt = now, Result = JournalWords.ToWord(result), Error = error };
        executor.Report(new StopProgress(now, Guest.Uri, Guest.Uuid, Guest.Name, step.Action, result, null, error));
        return outcome;
    }

    private void Skip(StepKind kind, string why)
    {
        var (id, at) = Begin(kind);
        End(id, at, StepResult.Skipped, why, null);
    }
}
