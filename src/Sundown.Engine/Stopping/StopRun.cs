using System.Collections.Immutable;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using Sundown.Engine.Execution;
using Sundown.Engine.Hooks;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Power;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

/// <summary>
/// One <c>sundown stop</c>, end to end: the lock, the hosts, the inventory and policies, the
/// journal (guests and restore list written before the first step), the plan, the executor, the
/// verdict. It degrades and never refuses: a host that does not answer, a guest's bad policy
/// element, a state directory that cannot be used or a journal that fails at the end are faults
/// in the report, and every guest that can be reached is still stopped. Only a wrong invocation
/// (an <c>--only</c> name that is nowhere) and another running sundown are refused.
/// A run that was killed is continued by the next stop when it is the same stop picked up again
/// (<see cref="Continuation"/>).
/// </summary>
public static partial class StopRun
{
    /// <summary>How long a stop keeps trying to reach a libvirtd that went away.</summary>
    private static readonly TimeSpan s_reconnectFor = TimeSpan.FromSeconds(60);

    /// <summary>How long the restore marks (kept in the guests when the journal is in memory) may take, at most.</summary>
    private static readonly TimeSpan s_markTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A tightening smaller than this is not made: a runtime that falls as fast as time passes
    /// moves the power's end by the jitter of the readings, not by news.
    /// </summary>
    private static readonly TimeSpan s_leastTightening = TimeSpan.FromSeconds(1);

    public static async Task<StopResult> RunAsync(
        StopRequest request, Func<string, IGuestHost> open, TimeProvider time, IStopObserver? observer, CancellationToken interrupt)
    {
        var faults = new List<Fault>(request.EarlierFaults);
        void Found(Fault fault)
        {
            lock (faults)
            {
                faults.Add(fault);
            }

            observer?.Fault(fault);
        }

        // The budget counts from here: the lock, the journal, the connects and the listing come out of it.
        var began = time.GetUtcNow();
        using var stateLock = request.JournalInMemory ? null : await AcquireLockAsync(request, time, observer, Found, began);
        var journal = OpenJournal(request, Found);
        return await RunAsync(request, open, time, observer, interrupt, faults, Found, journal, began);
    }

    private static async Task<StopResult> RunAsync(
        StopRequest request, Func<string, IGuestHost> open, TimeProvider time, IStopObserver? observer, CancellationToken interrupt,
        List<Fault> faults, Action<Fault> found, Journal? opened, DateTimeOffset began)
    {
        var journal = opened;
        try
        {
            // All hosts at once, each bounded inside the budget; a libvirtd restart mid-stop must not
            // strand the guests: reconnect, re-read, go on.
            // No reconnect tries past the stop's own end: the deadline and the destroys' grace after it.
            DateTimeOffset? giveUpAt = request.Budget is { } budget ? began + budget + Estimates.DestroyGrace : null;
            using var hosts = await HostSet.OpenAsync(
                request.Uris,
                uri => WatchConnection(ReconnectingHost.Open(uri, open, s_reconnectFor, time, giveUpAt, ConnectTimeout(request.Budget)), found),
                ConnectTimeout(request.Budget),
                time);
            var inventory = await GuestsWithPolicies.ReadAsync(hosts, request.Config, request.Only, ListTimeout(request.Budget), time);
            var unreachable = hosts.Unreachable.Concat(inventory.Unlisted).ToList();
            foreach (var host in unreachable)
            {
                found(new Fault(FaultKinds.Host, host.Uri, $"{host.Message}; its guests cannot be stopped, continuing with the other hosts"));
            }

            foreach (var problem in inventory.InvalidPolicies)
            {
                found(new Fault(FaultKinds.Metadata, problem.Guest.Name, GuestInventory.Warning(problem)));
            }

            foreach (var ignored in inventory.IgnoredHooks)
            {
                found(new Fault(FaultKinds.Metadata, ignored.Guest.Name, $"{ignored.Message}; continuing"));
            }

            // A name that is on no host is a wrong invocation, unless it may be on a host that did not answer.
            if (unreachable.Count == 0)
            {
                CheckOnly(request.Only, inventory.Guests);
            }

            var entries = inventory.Guests;
            var listed = hosts.Hosts.Select(h => h.Uri).Except(inventory.Unlisted.Select(u => u.Uri)).ToHashSet(StringComparer.Ordinal);
            var now = time.GetUtcNow();
            RunRecord? unfinished = null;
            try
            {
                unfinished = journal?.FindUnfinishedRun(RunKind.Stop);
            }
            catch (JournalException e)
            {
                found(new Fault(FaultKinds.Journal, journal?.FilePath, $"{e.Message}; no run to continue is looked for, continuing"));
            }

            var decision = Continuation.Decide(unfinished, request.Only, request.Budget, now, BootTime(now));
            if (!decision.Continue && decision.Abandoned is null && unreachable.Count == 0 && JoinedRun(request, journal, entries, BootTime(now), found) is { } joined)
            {
                observer?.Notice($"every guest is shut off already: run {joined.Id}, begun {joined.StartedAt.UtcDateTime:HH:mm:ss} UTC, stopped them; no new run");
                var joinedReport = RunReports.FromRecord(joined);
                lock (faults)
                {
                    joinedReport = joinedReport with { Faults = [.. faults] };
                }

                return new StopResult(joinedReport, Planner.Build([], null, request.Config.Limits, Estimates.Default), joined.ExitCode ?? ExitCodes.Ok, Continued: false) { Joined = true };
            }

            long run;
            bool continued = false;
            // The run and its guests, the restore list with them, before the first step.
            long BeginNewRun()
            {
                if (journal is null)
                {
                    return UnjournaledRun;
                }

                long id = journal.BeginRun(RunKind.Stop, now, decision.Budget, request.Only);
                journal.RecordGuests(id, entries.Select(e => Record(e.Guest, e.Policy)));
                return id;
            }

            try
            {
                // Without a journal there is no unfinished run, so nothing to close or continue.
                if (journal is not null && decision.Abandoned is { } why)
                {
                    journal.FinishRun(unfinished!.Id, now, ExitCodes.Interrupted);
                    found(new Fault(FaultKinds.Continuation, $"run {unfinished.Id}", $"{why}: closed as abandoned, and a new run begins"));
                }

                if (journal is not null && decision.Continue)
                {
                    run = unfinished!.Id;
                    // From now on, the new request's budget: the run's own is what it spent so far plus that.
                    journal.SetRunBudget(run, decision.Budget is { } asked ? now - unfinished.StartedAt + asked : null);
                    entries = Continue(journal, unfinished, entries, listed);
                    continued = true;
                }
                else
                {
                    run = BeginNewRun();
                }
            }
            catch (JournalException e) when (journal is { IsInMemory: false })
            {
                // The disk filled or went away between the open and here: the same run, in memory.
                found(new Fault(FaultKinds.Journal, journal.FilePath, $"{e.Message}; continuing with the journal in memory"));
                journal.Dispose();
                journal = Journal.OpenInMemory();
                entries = inventory.Guests;
                continued = false;
                run = BeginNewRun();
            }

            // Only the hosts that listed: one that froze after its open would hang the executor's
            // first call to it (its event subscription).
            var hostsByUri = hosts.Hosts.Where(host => listed.Contains(host.Uri)).ToDictionary(host => host.Uri);
            if (journal is null or { IsInMemory: true })
            {
                await KeepRestoreListInGuestsAsync(hostsByUri, entries, run, now, request.Budget, time, found);
            }

            Estimates estimates;
            try
            {
                estimates = Estimate(journal, entries);
            }
            catch (JournalException e)
            {
                found(new Fault(FaultKinds.Journal, journal?.FilePath, $"{e.Message}; planning with the default estimates, continuing"));
                estimates = Estimates.Default;
            }

            // What is left of the budget once the hosts are open and listed: the plan ends when the
            // budget does, counted from the stop's beginning, not from its first step.
            var plan = Planner.Build(entries, Left(decision.Budget, time.GetUtcNow() - began), request.Config.Limits, estimates);
            var hooks = new RunHooks(journal, run, time, found) { Ended = observer is null ? null : observer.HookEnded };
            var executor = new StopExecutor(
                hostsByUri, request.Config.Limits, journal is null ? new UnjournaledSteps() : new JournalRecorder(journal, run), time, observer is null ? null : observer.Progress, fault: found, estimates: estimates)
            {
                RunNumber = journal is null ? null : run,
                Hooks = hooks,
            };
            var runStart = time.GetUtcNow();
            // Where the journal counts the run's budget from: a continued run's own beginning.
            var runBegan = continued ? unfinished!.StartedAt : now;
            observer?.Planned(plan, runStart);
            ImmutableArray<GuestReport> reports;
            using (var following = new CancellationTokenSource())
            {
                var follower = FollowBatteryAsync(request, executor, journal, run, runStart - runBegan, runStart, time, observer, found, following.Token);
                try
                {
                    // The run's pre_stop before the first guest's stop begins (a tenth of the budget at most).
                    try
                    {
                        await hooks.RunHookAsync(Core.Hooks.HookKind.PreStop, request.Config.Hooks, RunKind.Stop.ToWord(), RunHooks.RunPreStopKillAt(time.GetUtcNow(), plan.Budget), null, interrupt);
                    }
                    catch (Exception e)
                    {
                        // No guest's stop may wait on, or be skipped by, the run's hook.
                        found(new Fault(FaultKinds.Hook, $"run {run}", $"the run's pre_stop hook: {e.Message}; ignoring it, continuing"));
                    }

                    reports = await executor.RunAsync(plan, runStart, interrupt);
                    try
                    {
                        await hooks.RunHookAsync(Core.Hooks.HookKind.PostStop, request.Config.Hooks, RunKind.Stop.ToWord(),
                            RunHooks.RunPostStopKillAt(time.GetUtcNow(), runStart, plan.Budget), RunHooks.Summary(reports.Select(r => r.Outcome)));
                    }
                    catch (Exception e)
                    {
                        found(new Fault(FaultKinds.Hook, $"run {run}", $"the run's post_stop hook: {e.Message}; ignoring it, continuing"));
                    }
                }
                finally
                {
                    await following.CancelAsync();
                    await follower;
                }
            }

            // The verdict is the whole run's, a continued one's earlier part included; when the
            // journal cannot give the run back, it is what the executor saw.
            RunRecord? record = null;
            try
            {
                record = journal?.LoadRun(run);
            }
            catch (JournalException e)
            {
                found(new Fault(FaultKinds.Journal, journal?.FilePath, $"{e.Message}; the report is built from what this process saw"));
            }

            // Where the journal missed what this process saw (a write that failed mid-run, the disk
            // full), what it saw: a guest that was shut down is not reported unfinished.
            var seen = reports.ToDictionary(r => (r.Uri, r.Uuid));
            var report = record is not null
                ? RunReports.FromRecord(record)
                : new RunReport(run, RunKind.Stop.ToWord(), now, null, RunBudget(executor.Budget, plan.Budget, decision.Budget, runStart - runBegan)?.TotalSeconds, reports);
            report = report with
            {
                Guests = [.. report.Guests.Select(g => g.Outcome is null && seen.TryGetValue((g.Uri, g.Uuid), out var saw) ? saw : g)],
            };
            var outcomes = report.Guests.Select(g => g.Outcome is { } word ? JournalWords.GuestOutcomeFromWord(word) : null).ToList();
            int exitCode = Verdict(outcomes, unreachable.Count > 0, interrupt.IsCancellationRequested);
            var finishedAt = time.GetUtcNow();
            // An interrupted run stays open: the next stop continues it, restore list and all.
            if (exitCode != ExitCodes.Interrupted)
            {
                try
                {
                    journal?.FinishRun(run, finishedAt, exitCode);
                }
                catch (JournalException e)
                {
                    found(new Fault(FaultKinds.Journal, journal?.FilePath, $"{e.Message}; the run is not closed in the journal, continuing"));
                }

                // What FinishRun wrote, without reading the whole run back a second time.
                report = report with { FinishedAt = JournalTime.AsStored(finishedAt) };
            }

            lock (faults)
            {
                report = report with { Faults = [.. faults] };
            }

            report = report with { Hooks = hooks.Results };
            return new StopResult(report, plan, exitCode, continued);
        }
        finally
        {
            // The journal this run ended with: the one it opened, or the one in memory it fell back to.
            journal?.Dispose();
        }
    }

    /// <summary>
    /// The exit status: 130 interrupted; 4 when a guest could not be stopped, or a host could not
    /// be reached (its guests could not be stopped), even if every reachable guest ended well;
    /// else 3 when some were forced off; else 0.
    /// </summary>
    internal static int Verdict(IReadOnlyCollection<GuestOutcome?> outcomes, bool someHostUnreachable, bool interrupted) =>
        interrupted ? ExitCodes.Interrupted
        : someHostUnreachable || outcomes.Any(o => o is GuestOutcome.Failed or GuestOutcome.Skipped or null) ? ExitCodes.SomeFailed
        : outcomes.Any(o => o == GuestOutcome.Destroyed) ? ExitCodes.SomeForced
        : ExitCodes.Ok;

    /// <summary>A connection lost mid-stop (libvirtd restarted, froze past its keepalive, or the link dropped) is a fault, reconnected or not.</summary>
    private static ReconnectingHost WatchConnection(ReconnectingHost host, Action<Fault> found)
    {
        host.ConnectionLost += () => found(new Fault(FaultKinds.Host, host.Uri, "the connection was lost (libvirtd restarted or stopped answering); reconnecting, continuing"));
        host.Disconnected += () => found(new Fault(FaultKinds.Host, host.Uri, "could not reconnect before the deadline; its guests left up cannot be stopped"));
        return host;
    }

    /// <summary>The run's budget as its report counts it: the request's, or, once tightened, the time before the plan plus the tightened one.</summary>
    private static TimeSpan? RunBudget(TimeSpan? now, TimeSpan? planned, TimeSpan? requested, TimeSpan beforePlan) =>
        now != planned && now is { } tightened ? beforePlan + tightened : requested;

    /// <summary>
    /// With <see cref="StopRequest.Ups"/>, the UPS is read again every few seconds while the guests
    /// are stopped; when the power ends before the run's deadline, the rest of the run is held to it
    /// (<see cref="StopExecutor.Tighten"/>), said through the observer and journaled as the run's budget.
    /// A UPS that stops answering leaves the plan as it is: a fault, once.
    /// </summary>
    private static Task FollowBatteryAsync(
        StopRequest request, StopExecutor executor, Journal? journal, long run, TimeSpan beforePlan, DateTimeOffset runStart,
        TimeProvider time, IStopObserver? observer, Action<Fault> found, CancellationToken stop)
    {
        if (request.Ups is not { } ups)
        {
            return Task.CompletedTask;
        }

        var config = request.Config.Ups ?? new UpsConfig(ups.Name, UpsConfig.DefaultMargin, PowerReturn.Default);
        void PowerEnds(DateTimeOffset end, UpsReading reading)
        {
            var budget = end - runStart;
            var had = executor.Budget;
            if (had is { } b && b - budget < s_leastTightening || !executor.Tighten(budget))
            {
                return;
            }

            string was = had is { } h ? $"{Seconds(h)} as planned" : "no deadline";
            observer?.Tightened(budget, $"the UPS {ups.Name} is on battery ({reading.StatusText}) with {Seconds(reading.Runtime!.Value)} left, less the margin ({Core.Config.Durations.Format(config.Margin)}): " +
                $"the rest of the stop is held to end {Seconds(budget)} after it began, not {was}");
            try
            {
                journal?.SetRunBudget(run, beforePlan + budget);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Not only JournalException: whatever the journal throws here, the follower must go
                // on following the battery, and the stop is already held to the tightened budget.
                string why = e is JournalException ? e.Message : $"{e.Message} ({e.GetType().Name})";
                found(new Fault(FaultKinds.Journal, journal?.FilePath, $"{why}; the tightened budget is not journaled, continuing"));
            }
        }

        void Unreadable(string why) =>
            found(new Fault(FaultKinds.Ups, ups.Name.ToString(), $"the UPS could not be read while stopping ({why}); the plan stays as it is, continuing"));

        return Task.Run(() => BatteryFollower.RunAsync(ups, config, time, PowerEnds, Unreadable, stop), CancellationToken.None);
    }

    private static string Seconds(TimeSpan value) => $"{value.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)}s";

    private static TimeSpan? Left(TimeSpan? budget, TimeSpan spent) =>
        budget is { } b ? (b > spent ? b - spent : TimeSpan.Zero) : null;

    /// <summary>A connect timeout inside the budget: a host that hangs must leave the others most of it.</summary>
    internal static TimeSpan ConnectTimeout(TimeSpan? budget) => ShareOf(budget, 4, HostOpener.DefaultTimeout);

    /// <summary>A listing timeout inside the budget, as for the connect.</summary>
    internal static TimeSpan ListTimeout(TimeSpan? budget) => ShareOf(budget, 4, GuestsWithPolicies.DefaultListTimeout);

    /// <summary>A 1/<paramref name="parts"/> share of the budget for a step before the guests', at most <paramref name="cap"/>.</summary>
    private static TimeSpan ShareOf(TimeSpan? budget, int parts, TimeSpan cap) =>
        budget is { } b && b / parts < cap ? b / parts : cap;

    /// <summary>With the journal in memory, the restore list goes into the guests' own definitions, before any step.</summary>
    private static async Task KeepRestoreListInGuestsAsync(
        IReadOnlyDictionary<string, IGuestHost> hosts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries, long run,
        DateTimeOffset now, TimeSpan? budget, TimeProvider time, Action<Fault> found)
    {
        var toMark = entries.Where(e => e.Guest.Persistent).Select(e => Record(e.Guest, e.Policy)).Where(g => g.Restore).ToList();
        foreach (var transient in entries.Where(e => !e.Guest.Persistent && Record(e.Guest, e.Policy).Restore))
        {
            found(new Fault(FaultKinds.Restore, transient.Guest.Name, "a transient guest has no persistent definition to keep its restore mark in: it will not be brought back"));
        }

        var timeout = ShareOf(budget, 10, s_markTimeout);
        foreach (var (guest, message) in await RestoreMarks.WriteAsync(hosts, toMark, run, now, timeout, time))
        {
            found(new Fault(FaultKinds.Restore, guest.Name, $"cannot keep its restore mark in its libvirt metadata ({message}): the next start will not bring it back, continuing"));
        }
    }

    /// <summary>The plan a stop would follow now, without touching anything.</summary>
    /// <param name="warn">Told of what was worked around: a guest's invalid policy, a host that failed to list, a journal that cannot be read.</param>
    public static Plan Preview(
        HostSet hosts, Core.Config.SundownConfig config, TimeSpan? budget, IReadOnlyCollection<string>? only, string stateDirectory, Action<string>? warn = null)
    {
        var inventory = GuestsWithPolicies.Read(hosts, config, only);
        foreach (var problem in inventory.InvalidPolicies)
        {
            warn?.Invoke(GuestInventory.Warning(problem));
        }

        foreach (var host in inventory.Unlisted)
        {
            warn?.Invoke($"cannot list the guests of {host.Uri}: {host.Message}");
        }

        if (hosts.Unreachable.Count == 0 && inventory.Unlisted.Count == 0)
        {
            CheckOnly(only, inventory.Guests);
        }

        Journal? journal = null;
        try
        {
            journal = File.Exists(Path.Combine(stateDirectory, Journal.FileName)) ? Journal.Open(stateDirectory) : null;
            return Planner.Build(inventory.Guests, budget, config.Limits, Estimate(journal, inventory.Guests));
        }
        catch (JournalException e)
        {
            warn?.Invoke($"{e.Message}; planning with the default estimates");
            return Planner.Build(inventory.Guests, budget, config.Limits, Estimates.Default);
        }
        finally
        {
            journal?.Dispose();
        }
    }

    private static void CheckOnly(IReadOnlyCollection<string>? only, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries)
    {
        var missing = only?.Except(entries.Select(e => e.Guest.Name), StringComparer.Ordinal).ToList();
        if (missing is { Count: > 0 })
        {
            throw new Core.Config.ConfigException("--only", 0, 0, $"no guest named {string.Join(", ", missing.Select(name => $"'{name}'"))}");
        }
    }

    private static RunGuestRecord Record(Guest guest, GuestPolicy policy)
    {
        bool wasUp = guest.State is GuestState.Running or GuestState.Paused or GuestState.PmSuspended or GuestState.Blocked;
        bool restore = policy.Restore switch
        {
            RestoreRule.Always => true,
            RestoreRule.Never => false,
            _ => wasUp,
        };
        return new RunGuestRecord(guest.Uri, guest.Uuid, guest.Name, guest.State.ToContractName(), policy.Order, restore, null, null);
    }

    /// <summary>
    /// Picks up a killed or interrupted run: every guest that is up now is stopped, whatever the
    /// run had recorded for it; guests it had begun and that are off or gone now are finished by
    /// how they went off; guests it never saw are added.
    /// </summary>
    private static IReadOnlyList<(Guest Guest, GuestPolicy Policy)> Continue(
        Journal journal, RunRecord unfinished, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries, IReadOnlySet<string> listedHosts)
    {
        var recorded = unfinished.Guests.ToDictionary(g => (g.Uri, g.Uuid));
        journal.RecordGuests(unfinished.Id, entries.Where(e => !recorded.ContainsKey((e.Guest.Uri, e.Guest.Uuid))).Select(e => Record(e.Guest, e.Policy)));
        var remaining = new List<(Guest, GuestPolicy)>();
        foreach (var entry in entries)
        {
            if (!recorded.TryGetValue((entry.Guest.Uri, entry.Guest.Uuid), out var before) || entry.Guest.State.IsActive())
            {
                remaining.Add(entry);
            }
            else if (before.Outcome is null)
            {
                journal.GuestFinished(unfinished.Id, entry.Guest.Uri, entry.Guest.Uuid, OffOutcome(entry.Guest), 0);
            }
        }

        // Gone from its host since (a transient guest that shut down, or undefined): it is off.
        // Not so a guest whose host did not answer this time: nothing is known of it.
        var present = entries.Select(e => (e.Guest.Uri, e.Guest.Uuid)).ToHashSet();
        foreach (var gone in unfinished.Guests.Where(g => g.Outcome is null && listedHosts.Contains(g.Uri) && !present.Contains((g.Uri, g.Uuid))))
        {
            journal.GuestFinished(unfinished.Id, gone.Uri, gone.Uuid, GuestOutcome.Shutdown, 0);
        }

        return remaining;
    }

    /// <summary>How a guest found off went off, from libvirt's SHUTOFF reason.</summary>
    private static GuestOutcome OffOutcome(Guest guest) =>
        guest.ManagedSave ? GuestOutcome.Saved : GuestWatch.OutcomeOf(StateReasons.OfShutoffReason(guest.StateReason));

    /// <summary>When this machine booted (from /proc/uptime); the epoch where that cannot be read.</summary>
    private static DateTimeOffset BootTime(DateTimeOffset now)
    {
        try
        {
            string uptime = File.ReadAllText("/proc/uptime").Split(' ')[0];
            return now - TimeSpan.FromSeconds(double.Parse(uptime, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return DateTimeOffset.UnixEpoch;
        }
    }

    /// <exception cref="JournalException">The journal cannot be read (Preview says so; a stop plans with the defaults).</exception>
    private static Estimates Estimate(Journal? journal, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries)
    {
        var memory = entries.GroupBy(e => e.Guest.Uuid).ToDictionary(g => g.Key, g => g.First().Guest.MemoryKiB);
        var estimates = journal?.SaveBytesPerSecond(memory) is { } observed ? new Estimates(observed) : Estimates.Default;
        return journal?.SnapshotEstimate() is { } snapshot ? estimates with { Snapshot = snapshot } : estimates;
    }
}
