using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hooks;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Starting;

/// <summary>
/// One <c>sundown start</c>: brings back what the stops recorded on the restore list (the
/// journal's, and the marks a stop left in the guests' metadata when its journal could not be
/// kept on disk), tier by tier in ascending order, <c>[limits] starts</c> at once, each tier's
/// start delay before the next. A saved guest resumes from its image; a guest that was paused
/// comes back paused; a guest already running (libvirt's autostart got there first) is left
/// alone; a guest whose definition is gone is reported. Each entry is consumed once the start
/// has dealt with its guest: a second start does nothing, an interrupted one leaves the rest,
/// and only the hosts it was given are touched. A host that does not answer is reported
/// (exit 4) and its entries wait for the next start.
/// </summary>
public static class StartRun
{
    private const string AlreadyRunning = "already running: left alone";
    private const string DefinitionGone = "its definition is gone (transient, or undefined since the stop)";

    /// <summary>How long one metadata call (a restore mark removed) may take.</summary>
    private static readonly TimeSpan s_markTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long reading every guest's restore mark may take, all together.</summary>
    private static readonly TimeSpan s_marksWithin = TimeSpan.FromSeconds(60);

    /// <param name="fault">Told of each fault as it is found (a host unreachable, a journal that cannot be used…); they are in the report too.</param>
    public static async Task<StartResult> RunAsync(
        StartRequest request, Func<string, IGuestHost> open, TimeProvider time, Action<StopProgress>? progress, CancellationToken interrupt,
        Action<Fault>? fault = null)
    {
        var faults = new List<Fault>();
        void Found(Fault found)
        {
            lock (faults)
            {
                faults.Add(found);
            }

            fault?.Invoke(found);
        }

        string state = request.StateDirectory;
        using var stateLock = StateLock.TryAcquire(state, e => Found(new Fault(FaultKinds.Journal, state, $"{e.Message}; continuing without the lock")));
        var journal = Journal.OpenOrInMemory(state, e => Found(new Fault(FaultKinds.Journal, state, $"{e.Message}; only the restore marks in the guests are used, continuing")));
        var result = await RunAsync(request, open, time, progress, interrupt, Found, journal);
        lock (faults)
        {
            return result with { Report = result.Report with { Faults = [.. faults] } };
        }
    }

    private static async Task<StartResult> RunAsync(
        StartRequest request, Func<string, IGuestHost> open, TimeProvider time, Action<StopProgress>? progress, CancellationToken interrupt,
        Action<Fault> found, Journal opened)
    {
        var journal = opened;
        try
        {
            using var hosts = await HostSet.OpenAsync(request.Uris, open, HostOpener.DefaultTimeout, time);
            var inventory = await GuestsWithPolicies.ReadAsync(hosts, request.Config, null, GuestsWithPolicies.DefaultListTimeout, time);
            var unreachable = hosts.Unreachable.Concat(inventory.Unlisted).ToList();
            foreach (var host in unreachable)
            {
                found(new Fault(FaultKinds.Host, host.Uri, $"{host.Message}; its guests are not brought back (they stay on the restore list), continuing with the other hosts"));
            }

            foreach (var problem in inventory.InvalidPolicies)
            {
                found(new Fault(FaultKinds.Metadata, problem.Guest.Name, GuestInventory.Warning(problem)));
            }

            foreach (var ignored in inventory.IgnoredHooks)
            {
                found(new Fault(FaultKinds.Metadata, ignored.Guest.Name, $"{ignored.Message}; continuing"));
            }

            var present = inventory.Guests.ToDictionary(e => (e.Guest.Uri, e.Guest.Uuid));
            var hostsByUri = hosts.Hosts.Where(h => !inventory.Unlisted.Any(u => u.Uri == h.Uri)).ToDictionary(h => h.Uri);
            var (restoreList, marked) = await ReadRestoreListAsync(journal, hostsByUri, inventory, time, found);
            var start = time.GetUtcNow();
            if (restoreList.Count == 0)
            {
                return new StartResult(
                    new RunReport(0, RunKind.Start.ToWord(), start, start, null, []),
                    unreachable.Count > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok);
            }

            long run = 0;
            IStepRecorder? recorder = null;
            if (!request.DryRun)
            {
                try
                {
                    run = journal.BeginRun(RunKind.Start, start, null);
                    journal.RecordGuests(run, restoreList.Select(g => g with { Restore = false, Outcome = null, Seconds = null }));
                }
                catch (JournalException e) when (!journal.IsInMemory)
                {
                    found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; continuing with the journal in memory (the entries cannot be marked consumed)"));
                    journal.Dispose();
                    journal = Journal.OpenInMemory();
                    run = journal.BeginRun(RunKind.Start, start, null);
                    journal.RecordGuests(run, restoreList.Select(g => g with { Restore = false, Outcome = null, Seconds = null }));
                }

                recorder = new TolerantRecorder(new JournalRecorder(journal, run), journal.FilePath, found);
            }

            // No hook runs in a dry run.
            var hooks = new RunHooks(request.DryRun ? null : journal, run, time, found);
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
                            present.TryGetValue((entry.Uri, entry.Uuid), out var guest);
                            hostsByUri.TryGetValue(entry.Uri, out var host);
                            var report = await StartOneAsync(entry, guest.Guest, host, request.DryRun, recorder, time, progress);
                            if (!request.DryRun && guest.Guest is not null
                                && (report.Outcome == GuestOutcome.Started.ToWord() || report.Outcome == GuestOutcome.Restored.ToWord()))
                            {
                                hooks.PostStart(guest.Guest, guest.Policy, report.Outcome);
                            }

                            if (!request.DryRun)
                            {
                                await ConsumeAsync(journal, run, entry, host, marked.Contains((entry.Uri, entry.Uuid)), time, found);
                            }

                            return report;
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

            if (!request.DryRun)
            {
                // Each held to its own time (RunHooks.NoDeadlineLimit): the guests' first, then the run's.
                await hooks.DrainAsync();
                await hooks.RunHookAsync(Core.Hooks.HookKind.PostStart, request.Config.Hooks, RunKind.Start.ToWord(),
                    time.GetUtcNow() + RunHooks.NoDeadlineLimit, RunHooks.Summary(reports.Select(r => r.Outcome)));
            }

            bool failed = unreachable.Count > 0 || reports.Any(r => r.Outcome == GuestOutcome.Failed.ToWord());
            int exitCode = interrupt.IsCancellationRequested ? ExitCodes.Interrupted : failed ? ExitCodes.SomeFailed : ExitCodes.Ok;
            var fromThisProcess = new RunReport(run, RunKind.Start.ToWord(), start, request.DryRun ? null : time.GetUtcNow(), null, reports.ToImmutable());
            if (request.DryRun)
            {
                return new StartResult(fromThisProcess, exitCode);
            }

            try
            {
                journal.FinishRun(run, time.GetUtcNow(), exitCode);
                return new StartResult(RunReports.FromRecord(journal.LoadRun(run)!) with { Hooks = hooks.Results }, exitCode);
            }
            catch (JournalException e)
            {
                found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; the report is built from what this process saw"));
                return new StartResult(fromThisProcess with { Hooks = hooks.Results }, exitCode);
            }
        }
        finally
        {
            // The journal this start ended with: the one it opened, or the one in memory it fell back to.
            journal.Dispose();
        }
    }

    /// <summary>
    /// The journal's restore list for the hosts that answered, and the marks in those hosts'
    /// guests; of two entries for one guest the newer stop's wins.
    /// </summary>
    /// <returns>The list, and the guests that carry a mark (to be removed once dealt with).</returns>
    private static async Task<(IReadOnlyList<RunGuestRecord> List, IReadOnlySet<(string, string)> Marked)> ReadRestoreListAsync(
        Journal journal, IReadOnlyDictionary<string, IGuestHost> hosts, GuestInventory inventory, TimeProvider time, Action<Fault> found)
    {
        var chosen = new Dictionary<(string, string), RestoreEntry>();
        try
        {
            foreach (var entry in journal.RestoreEntries().Where(e => hosts.ContainsKey(e.Guest.Uri)))
            {
                chosen[(entry.Guest.Uri, entry.Guest.Uuid)] = entry;
            }
        }
        catch (JournalException e)
        {
            found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; only the restore marks in the guests are used, continuing"));
        }

        var reads = await RestoreMarks.ReadAsync(
            inventory.Guests.Where(e => e.Guest.Persistent && hosts.ContainsKey(e.Guest.Uri)).Select(e => (hosts[e.Guest.Uri], e.Guest)), s_marksWithin, time);
        var marked = new HashSet<(string, string)>();
        foreach (var (guest, entry, error) in reads)
        {
            if (error is not null)
            {
                found(new Fault(FaultKinds.Restore, guest.Name, $"cannot read its restore mark ({error}): if a stop left one, it is not brought back now, continuing"));
            }

            if (entry is null)
            {
                continue;
            }

            var key = (entry.Guest.Uri, entry.Guest.Uuid);
            marked.Add(key);
            if (!chosen.TryGetValue(key, out var before) || before.StoppedAt < entry.StoppedAt)
            {
                chosen[key] = entry;
            }
        }

        return ([.. chosen.Values.OrderBy(e => e.StoppedAt).Select(e => e.Guest)], marked);
    }

    /// <summary>The guest is dealt with: its journal entries are consumed and its mark removed. Never throws.</summary>
    private static async Task ConsumeAsync(Journal journal, long run, RunGuestRecord entry, IGuestHost? host, bool marked, TimeProvider time, Action<Fault> found)
    {
        try
        {
            await journal.ConsumeRestoreEntryAsync(run, entry.Uri, entry.Uuid);
        }
        catch (JournalException e)
        {
            found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; '{entry.Name}' stays on the restore list, continuing"));
        }

        if (marked && host is not null && await RestoreMarks.RemoveAsync(host, entry.Uuid, s_markTimeout, time) is { } error)
        {
            found(new Fault(FaultKinds.Restore, entry.Name, $"cannot remove its restore mark ({error}): the next start finds it running, or starts it again, continuing"));
        }
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
