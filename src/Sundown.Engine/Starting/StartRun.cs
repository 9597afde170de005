using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Starting;

/// <summary>
/// One <c>sundown start</c>: brings back what the last stop recorded on its restore list, tier
/// by tier in ascending order, <c>[limits] starts</c> at once, each tier's start delay before
/// the next. A saved guest resumes from its image; a guest that was paused comes back paused;
/// a guest already running (libvirt's autostart got there first) is left alone; a guest whose
/// definition is gone is reported. The list is consumed: a second start does nothing.
/// </summary>
public static class StartRun
{
    private const string AlreadyRunning = "already running: left alone";
    private const string DefinitionGone = "its definition is gone (transient, or undefined since the stop)";

    public static async Task<StartResult> RunAsync(
        StartRequest request, Func<string, IGuestHost> open, TimeProvider time, Action<StopProgress>? progress, CancellationToken interrupt)
    {
        using var stateLock = StateLock.Acquire(request.StateDirectory);
        using var journal = Journal.Open(request.StateDirectory);
        var stop = journal.LastRun(RunKind.Stop);
        var restoreList = journal.RestoreList();
        if (stop is null || restoreList.Count == 0)
        {
            return new StartResult(null, ExitCodes.Ok);
        }

        using var hosts = HostSet.Open(request.Uris, open);
        var present = GuestsWithPolicies.Read(hosts, request.Config).ToDictionary(e => (e.Guest.Uri, e.Guest.Uuid));
        var hostsByUri = hosts.Hosts.ToDictionary(h => h.Uri);
        var start = time.GetUtcNow();
        long run = request.DryRun ? 0 : journal.BeginRun(RunKind.Start, start, null);
        var recorder = request.DryRun ? null : new JournalRecorder(journal, run);
        if (!request.DryRun)
        {
            journal.RecordGuests(run, restoreList.Select(g => g with { Restore = false, Outcome = null, Seconds = null }));
        }

        var reports = ImmutableArray.CreateBuilder<GuestReport>();
        using var slots = new SemaphoreSlim(request.Config.Limits.Starts > 0 ? request.Config.Limits.Starts : int.MaxValue);
        var tiers = restoreList.GroupBy(g => g.Order).OrderBy(tier => tier.Key).ToList();
        try
        {
            await StartTiersAsync();
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            // Interrupted while waiting for a slot or a start delay: what started is journaled.
        }

        async Task StartTiersAsync()
        {
            for (int i = 0; i < tiers.Count && !interrupt.IsCancellationRequested; i++)
            {
                var starts = tiers[i].OrderBy(g => g.Name, StringComparer.Ordinal).Select(async entry =>
                {
                    await slots.WaitAsync(interrupt);
                    try
                    {
                        present.TryGetValue((entry.Uri, entry.Uuid), out var found);
                        hostsByUri.TryGetValue(entry.Uri, out var host);
                        return await StartOneAsync(entry, found.Guest, host, request.DryRun, recorder, time, progress);
                    }
                    finally
                    {
                        slots.Release();
                    }
                });
                reports.AddRange(await Task.WhenAll(starts));

                // The next tier waits for this tier's longest start delay: time for its services to come up.
                var delay = tiers[i].Select(g => present.TryGetValue((g.Uri, g.Uuid), out var p) ? p.Policy.StartDelay : TimeSpan.Zero).DefaultIfEmpty().Max();
                if (i < tiers.Count - 1 && delay > TimeSpan.Zero && !request.DryRun)
                {
                    await Task.Delay(delay, time, interrupt);
                }
            }
        }

        bool failed = reports.Any(r => r.Outcome == GuestOutcome.Failed.ToWord());
        int exitCode = interrupt.IsCancellationRequested ? ExitCodes.Interrupted : failed ? ExitCodes.SomeFailed : ExitCodes.Ok;
        if (request.DryRun)
        {
            return new StartResult(new RunReport(0, RunKind.Start.ToWord(), start, null, null, reports.ToImmutable()), exitCode);
        }

        journal.ConsumeRestoreList(stop.Id, run);
        journal.FinishRun(run, time.GetUtcNow(), exitCode);
        return new StartResult(RunReports.FromRecord(journal.LoadRun(run)!), exitCode);
    }

    /// <summary>
    /// From its managed-save image when it has one: the guest resumes where it was, paused if
    /// it was paused. A guest that was shut down boots, paused if it was paused before.
    /// </summary>
    private static void Start(IGuestHost host, string uuid, bool paused)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                host.Start(uuid, paused);
                return;
            }
            catch (HostException e) when (paused && e.Kind == HostErrorKind.Unsupported)
            {
                // A driver that cannot start paused (libvirt's test driver): start, then pause.
                host.Start(uuid);
                host.Suspend(uuid);
                return;
            }
            catch (HostException e) when (e.Kind == HostErrorKind.Failed && attempt < StartAttempts)
            {
                // A host busy starting many guests at boot fails some with passing errors
                // ("failed to load cgroup BPF prog: Resource temporarily unavailable" was seen):
                // try again after a pause rather than leave the guest off.
                Thread.Sleep(s_startRetryPause);
            }
        }
    }

    private const int StartAttempts = 3;
    private static readonly TimeSpan s_startRetryPause = TimeSpan.FromSeconds(2);

    private static async Task<GuestReport> StartOneAsync(
        RunGuestRecord entry, Guest? guest, IGuestHost? host, bool dryRun, IStepRecorder? recorder, TimeProvider time, Action<StopProgress>? progress)
    {
        var began = time.GetUtcNow();
        bool paused = entry.InitialState == GuestState.Paused.ToContractName();
        GuestOutcome outcome;
        StepResult result;
        string? error = null;
        if (guest is null || host is null)
        {
            (outcome, result, error) = (GuestOutcome.Skipped, StepResult.Skipped, DefinitionGone);
        }
        else if (guest.State.IsActive())
        {
            (outcome, result, error) = (GuestOutcome.Skipped, StepResult.Skipped, AlreadyRunning);
        }
        else if (dryRun)
        {
            (outcome, result) = (guest.ManagedSave ? GuestOutcome.Restored : GuestOutcome.Started, StepResult.Skipped);
            error = "dry run";
        }
        else
        {
            progress?.Invoke(new StopProgress(began, entry.Uri, entry.Uuid, entry.Name, "start", null, null, null));
            try
            {
                // Off the caller's thread: a start blocks in libvirt, and may pause between tries.
                await Task.Run(() => Start(host, guest.Uuid, paused));
                (outcome, result) = (guest.ManagedSave ? GuestOutcome.Restored : GuestOutcome.Started, StepResult.Ok);
            }
            catch (HostException e)
            {
                (outcome, result, error) = (GuestOutcome.Failed, StepResult.Error, e.Message);
            }
        }

        if (recorder is not null)
        {
            long step = await recorder.StepStartedAsync(entry.Uri, entry.Uuid, "start", began);
            await recorder.StepEndedAsync(step, time.GetUtcNow(), result, error);
        }

        var ended = time.GetUtcNow();
        double seconds = Math.Round((ended - began).TotalSeconds, 3);
        if (recorder is not null)
        {
            await recorder.GuestFinishedAsync(entry.Uri, entry.Uuid, outcome, seconds);
        }

        progress?.Invoke(new StopProgress(ended, entry.Uri, entry.Uuid, entry.Name, null, null, outcome, error));
        return new GuestReport(entry.Uri, entry.Name, entry.Uuid, entry.InitialState, outcome.ToWord(), seconds,
            [new StepReport("start", began, ended, result.ToWord(), error)]);
    }
}
