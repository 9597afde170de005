using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

/// <summary>
/// One <c>sundown stop</c>, end to end: the lock, the inventory and policies, the journal
/// (guests and restore list written before the first step), the plan, the executor, the verdict.
/// A run that was killed is continued by the next stop, with the restore list it began with.
/// </summary>
public static class StopRun
{
    /// <summary>How long a stop keeps trying to reach a libvirtd that went away.</summary>
    private static readonly TimeSpan s_reconnectFor = TimeSpan.FromSeconds(60);

    public static async Task<StopResult> RunAsync(
        StopRequest request, Func<string, IGuestHost> open, TimeProvider time, IStopObserver? observer, CancellationToken interrupt)
    {
        using var stateLock = StateLock.Acquire(request.StateDirectory);
        using var journal = Journal.Open(request.StateDirectory);
        // A libvirtd restart mid-stop must not strand the guests: reconnect, re-read, go on.
        using var hosts = HostSet.Open(request.Uris, uri => ReconnectingHost.Open(uri, open, s_reconnectFor));
        var entries = GuestsWithPolicies.Read(hosts, request.Config, request.Only);
        CheckOnly(request.Only, entries);

        var now = time.GetUtcNow();
        // A run killed before this boot is history, not work: its budget ran out long ago.
        var unfinished = journal.FindUnfinishedRun(RunKind.Stop) is { } killed && killed.StartedAt >= BootTime(now) ? killed : null;
        long run;
        TimeSpan? budget;
        if (unfinished is null)
        {
            budget = request.Budget;
            run = journal.BeginRun(RunKind.Stop, now, budget);
            journal.RecordGuests(run, entries.Select(e => Record(e.Guest, e.Policy)));
        }
        else
        {
            run = unfinished.Id;
            entries = Continue(journal, unfinished, entries);
            budget = unfinished.BudgetSeconds is { } seconds ? Max(TimeSpan.FromSeconds(seconds) - (now - unfinished.StartedAt), TimeSpan.Zero) : null;
        }

        var plan = Planner.Build(entries, budget, request.Config.Limits, Estimate(journal, entries));
        var hostsByUri = hosts.Hosts.ToDictionary(host => host.Uri);
        var executor = new StopExecutor(hostsByUri, request.Config.Limits, new JournalRecorder(journal, run), time, observer is null ? null : observer.Progress);
        var runStart = time.GetUtcNow();
        observer?.Planned(plan, runStart);
        await executor.RunAsync(plan, runStart, interrupt);

        // The verdict is the whole run's, a continued one's earlier part included.
        var record = journal.LoadRun(run)!;
        var outcomes = record.Guests.Select(g => g.Outcome).ToList();
        int exitCode = interrupt.IsCancellationRequested ? ExitCodes.Interrupted
            : outcomes.Any(o => o is GuestOutcome.Failed or GuestOutcome.Skipped or null) ? ExitCodes.SomeFailed
            : outcomes.Any(o => o == GuestOutcome.Destroyed) ? ExitCodes.SomeForced
            : ExitCodes.Ok;
        // An interrupted run stays open: the next stop continues it, restore list and all.
        if (exitCode != ExitCodes.Interrupted)
        {
            var finishedAt = time.GetUtcNow();
            journal.FinishRun(run, finishedAt, exitCode);
            // What FinishRun wrote, without reading the whole run back a second time.
            record = record with { FinishedAt = JournalTime.AsStored(finishedAt), ExitCode = exitCode };
        }

        return new StopResult(RunReports.FromRecord(record), plan, exitCode, unfinished is not null);
    }

    /// <summary>The plan a stop would follow now, without touching anything.</summary>
    public static Plan Preview(HostSet hosts, Core.Config.SundownConfig config, TimeSpan? budget, IReadOnlyCollection<string>? only, string stateDirectory)
    {
        var entries = GuestsWithPolicies.Read(hosts, config, only);
        CheckOnly(only, entries);
        using var journal = File.Exists(Path.Combine(stateDirectory, Journal.FileName)) ? Journal.Open(stateDirectory) : null;
        return Planner.Build(entries, budget, config.Limits, Estimate(journal, entries));
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
        Journal journal, RunRecord unfinished, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries)
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

        // Gone from the host since (a transient guest that shut down, or undefined): it is off.
        var present = entries.Select(e => (e.Guest.Uri, e.Guest.Uuid)).ToHashSet();
        foreach (var gone in unfinished.Guests.Where(g => g.Outcome is null && !present.Contains((g.Uri, g.Uuid))))
        {
            journal.GuestFinished(unfinished.Id, gone.Uri, gone.Uuid, GuestOutcome.Shutdown, 0);
        }

        return remaining;
    }

    /// <summary>How a guest found off went off, from libvirt's SHUTOFF reason.</summary>
    private static GuestOutcome OffOutcome(Guest guest) => guest.StateReason switch
    {
        _ when guest.ManagedSave => GuestOutcome.Saved,
        2 or 3 => GuestOutcome.Destroyed,
        _ => GuestOutcome.Shutdown,
    };

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

    private static Estimates Estimate(Journal? journal, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> entries)
    {
        var memory = entries.GroupBy(e => e.Guest.Uuid).ToDictionary(g => g.Key, g => g.First().Guest.MemoryKiB);
        return journal?.SaveBytesPerSecond(memory) is { } observed ? new Estimates(observed) : Estimates.Default;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
