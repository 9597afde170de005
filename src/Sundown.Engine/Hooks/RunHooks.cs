using System.Collections.Immutable;
using System.Globalization;
using Sundown.Core.Hooks;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Hooks;

/// <summary>
/// The hooks of one stop or start: their times and environment, the ones running in the
/// background (post_stop, post_start), and what each did, journaled and reported. Nothing here
/// throws into the stop: a hook that fails, hangs or cannot be journaled is a fault and the run
/// goes on; no hook changes a guest's outcome.
/// </summary>
/// <remarks>
/// Times (docs/man/sundown.toml.5.md, "Hooks"):
/// <list type="bullet">
/// <item>a guest's pre_stop: at most <see cref="PreStopShare"/> of the time from its start to the
/// end of the guest's first graceful step (<see cref="PreStopKillAt"/>), and at most <see cref="NoDeadlineLimit"/>; the
/// ladder's steps keep their absolute times, so what pre_stop takes comes out of them, never out of
/// the destroy's allowance;</item>
/// <item>a guest's post_stop: until the guest's deadline (its tier's deadline), skipped when that has
/// passed; without a budget <see cref="NoDeadlineLimit"/>; it runs beside the next tiers, never
/// holding them up;</item>
/// <item>a guest's post_start, a run's post_start: <see cref="NoDeadlineLimit"/> (a start has no budget);</item>
/// <item>a run's pre_stop: at most a tenth of the budget and at most <see cref="NoDeadlineLimit"/>;
/// a run's post_stop: until the run's deadline, but at least <see cref="LeastForRunPostStop"/>.</item>
/// </list>
/// </remarks>
public sealed class RunHooks(Journal? journal, long run, TimeProvider time, Action<Fault>? fault)
{
    /// <summary>The share of a guest's graceful time its pre_stop may take.</summary>
    public const double PreStopShare = 0.25;

    /// <summary>A hook's time where there is no deadline, and the most any hook gets.</summary>
    public static readonly TimeSpan NoDeadlineLimit = TimeSpan.FromMinutes(2);

    /// <summary>A run's post_stop gets at least this, even past the run's deadline.</summary>
    public static readonly TimeSpan LeastForRunPostStop = TimeSpan.FromSeconds(10);

    private readonly List<HookResult> _results = [];
    private readonly List<Task> _background = [];

    /// <summary>Told of each hook as it ends (the console's progress line).</summary>
    public Action<HookResult>? Ended { get; init; }

    public ImmutableArray<HookResult> Results
    {
        get
        {
            lock (_results)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>The guest's deadline: its tier's deadline (the destroy's end less its grace), else its last step's end; null without a budget.</summary>
    public static DateTimeOffset? GuestDeadline(IReadOnlyList<ScheduledStep> schedule, DateTimeOffset runStart)
    {
        if (schedule.LastOrDefault(s => s.Kind == StepKind.Destroy)?.EndBy is { } destroyEnd)
        {
            return runStart + destroyEnd - Estimates.DestroyGrace;
        }

        return schedule.Count > 0 && schedule[^1].EndBy is { } end ? runStart + end : null;
    }

    /// <summary>The most a guest's pre_stop gets when its ladder has no graceful step (destroy only): it must not delay the destroy.</summary>
    public static readonly TimeSpan NoGracefulLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A guest's pre_stop, waited for: it ends (or is killed) well before the ladder's graceful time
    /// is up. A tightening moves its kill time earlier as it moves the steps; the interrupt kills it at once.
    /// </summary>
    /// <param name="schedule">The guest's schedule as it stands now (a tightening changes it).</param>
    /// <param name="nextTightening">A token that fires at the next tightening (taken before the schedule is read).</param>
    public async Task PreStopAsync(PlannedGuest planned, Func<IReadOnlyList<ScheduledStep>> schedule, DateTimeOffset runStart, Func<CancellationToken> nextTightening, CancellationToken interrupt)
    {
        if (planned.Policy.Hooks.Of(HookKind.PreStop) is not { } command)
        {
            return;
        }

        var started = time.GetUtcNow();
        var tightened = nextTightening();
        var now = schedule();
        var killAt = PreStopKillAt(now, runStart, started);
        using var cut = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var onInterrupt = interrupt.Register(cut.Cancel);
        var running = RunAsync(GuestRequest(HookKind.PreStop, command, planned.Guest, killAt, GuestDeadline(now, runStart) ?? killAt, null), cut.Token);
        while (!running.IsCompleted)
        {
            await running.WaitAsync(tightened).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (running.IsCompleted || !tightened.IsCancellationRequested)
            {
                break;
            }

            // Tightened: the kill time the new schedule gives, counted from the same start; never later.
            tightened = nextTightening();
            var tighter = PreStopKillAt(schedule(), runStart, started);
            if (tighter < killAt)
            {
                killAt = tighter;
                var left = killAt - time.GetUtcNow();
                cut.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
        }

        await running;
    }

    /// <summary>
    /// When a guest's pre_stop begun at <paramref name="started"/> is sent SIGTERM: a share of the
    /// time to the end of its first graceful step (agent, acpi: its end; save: its latest start),
    /// not of a snapshot's (the snapshot comes after the pre_stop, and is skipped if its start-by
    /// passed meanwhile); without a graceful step, a share of the time to its deadline and at most
    /// <see cref="NoGracefulLimit"/>, so that the destroy is hardly delayed.
    /// </summary>
    public static DateTimeOffset PreStopKillAt(IReadOnlyList<ScheduledStep> schedule, DateTimeOffset runStart, DateTimeOffset started)
    {
        var graceful = schedule.FirstOrDefault(s => s.Kind is StepKind.Agent or StepKind.Acpi or StepKind.Save);
        var gracefulEnd = graceful?.Kind == StepKind.Save ? graceful.StartBy : graceful?.EndBy;
        if (graceful is not null)
        {
            return KillAtWithin(started, gracefulEnd is { } end ? Min((runStart + end - started) * PreStopShare, NoDeadlineLimit) : NoDeadlineLimit);
        }

        var deadline = GuestDeadline(schedule, runStart);
        return KillAtWithin(started, deadline is { } d ? Min((d - started) * PreStopShare, NoGracefulLimit) : NoGracefulLimit);
    }

    /// <summary>A guest's post_stop, begun in the background: <see cref="DrainAsync"/> waits for it.</summary>
    public void PostStop(PlannedGuest planned, IReadOnlyList<ScheduledStep> schedule, DateTimeOffset runStart, string outcome)
    {
        if (planned.Policy.Hooks.Of(HookKind.PostStop) is not { } command)
        {
            return;
        }

        var killAt = GuestDeadline(schedule, runStart) ?? time.GetUtcNow() + NoDeadlineLimit;
        InBackground(GuestRequest(HookKind.PostStop, command, planned.Guest, killAt, killAt, outcome));
    }

    /// <summary>A guest's post_start, begun in the background once it was started or restored.</summary>
    public void PostStart(Guest guest, GuestPolicy policy, string outcome)
    {
        if (policy.Hooks.Of(HookKind.PostStart) is not { } command)
        {
            return;
        }

        var killAt = time.GetUtcNow() + NoDeadlineLimit;
        InBackground(GuestRequest(HookKind.PostStart, command, guest, killAt, killAt, outcome));
    }

    /// <summary>A run's own hook, waited for.</summary>
    /// <param name="outcome">For post_stop and post_start: <see cref="Summary"/> of the guests' outcomes.</param>
    /// <param name="cut">Kills it at once (the run's interrupt).</param>
    public Task RunHookAsync(HookKind kind, HookSet hooks, string runKind, DateTimeOffset killAt, string? outcome, CancellationToken cut = default)
    {
        if (hooks.Of(kind) is not { } command)
        {
            return Task.CompletedTask;
        }

        var variables = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        variables.Add(new("SUNDOWN_HOOK", kind.ToKey()));
        variables.Add(new("SUNDOWN_RUN", run.ToString(CultureInfo.InvariantCulture)));
        variables.Add(new("SUNDOWN_KIND", runKind));
        variables.Add(new("SUNDOWN_DEADLINE", Iso(killAt)));
        if (outcome is not null)
        {
            variables.Add(new("SUNDOWN_OUTCOME", outcome));
        }

        return RunAsync(new HookRequest(kind, command, variables.ToImmutable(), killAt), cut);
    }

    /// <summary>When a run's pre_stop is killed: a tenth of the budget, at most <see cref="NoDeadlineLimit"/>.</summary>
    public static DateTimeOffset RunPreStopKillAt(DateTimeOffset now, TimeSpan? budget) =>
        KillAtWithin(now, budget is { } b ? Min(b / 10, NoDeadlineLimit) : NoDeadlineLimit);

    /// <summary>
    /// When to send SIGTERM so that the hook is gone by <paramref name="limit"/> from now: the grace
    /// before SIGKILL comes out of the limit, but never more than half of it.
    /// </summary>
    private static DateTimeOffset KillAtWithin(DateTimeOffset now, TimeSpan limit) =>
        now + (limit - HookRunner.KillGrace > limit / 2 ? limit - HookRunner.KillGrace : limit / 2);

    /// <summary>When a run's post_stop is killed: the run's deadline, but at least <see cref="LeastForRunPostStop"/> from now.</summary>
    public static DateTimeOffset RunPostStopKillAt(DateTimeOffset now, DateTimeOffset runStart, TimeSpan? budget)
    {
        if (budget is not { } b)
        {
            return now + NoDeadlineLimit;
        }

        var end = runStart + b + Estimates.DestroyGrace;
        return end - now < LeastForRunPostStop ? now + LeastForRunPostStop : end;
    }

    /// <summary>The run's outcomes as <c>SUNDOWN_OUTCOME</c>: "word=count" for each outcome that occurred, in the contract's order, space-separated.</summary>
    public static string Summary(IEnumerable<string?> outcomes)
    {
        string[] order = ["shutdown", "saved", "destroyed", "already-off", "started", "restored", "skipped", "failed"];
        var counts = outcomes.GroupBy(o => o ?? "failed").ToDictionary(g => g.Key, g => g.Count());
        return string.Join(' ', order.Where(counts.ContainsKey).Select(word => $"{word}={counts[word]}"));
    }

    /// <summary>Waits for the hooks still running in the background; each is held to its own deadline.</summary>
    public async Task DrainAsync()
    {
        Task[] running;
        lock (_background)
        {
            running = [.. _background];
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private HookRequest GuestRequest(HookKind kind, HookCommand command, Guest guest, DateTimeOffset killAt, DateTimeOffset deadline, string? outcome)
    {
        var variables = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        variables.Add(new("SUNDOWN_HOOK", kind.ToKey()));
        variables.Add(new("SUNDOWN_RUN", run.ToString(CultureInfo.InvariantCulture)));
        variables.Add(new("SUNDOWN_GUEST", guest.Name));
        variables.Add(new("SUNDOWN_UUID", guest.Uuid));
        variables.Add(new("SUNDOWN_URI", guest.Uri));
        variables.Add(new("SUNDOWN_DEADLINE", Iso(deadline)));
        if (outcome is not null)
        {
            variables.Add(new("SUNDOWN_OUTCOME", outcome));
        }

        return new HookRequest(kind, command, variables.ToImmutable(), killAt, guest.Uri, guest.Uuid, guest.Name);
    }

    private void InBackground(HookRequest request)
    {
        var task = Task.Run(() => RunAsync(request));
        lock (_background)
        {
            _background.Add(task);
        }
    }

    private async Task RunAsync(HookRequest request, CancellationToken cut = default)
    {
        HookResult result;
        try
        {
            result = await HookRunner.RunAsync(request, time, cut);
        }
        catch (Exception e)
        {
            var at = time.GetUtcNow();
            result = new HookResult(request.Kind, request.Uri, request.Uuid, request.Guest, request.Command.Argv, at, at, HookResults.Error, null, e.Message, "");
        }

        lock (_results)
        {
            _results.Add(result);
        }

        // Nothing after the hook may throw into the stop: a throw from the run's pre_stop would
        // skip every guest's stop, one from a guest's would destroy it without its ladder.
        try
        {
            await AfterAsync(request, result);
        }
        catch (Exception e)
        {
            try
            {
                fault?.Invoke(new Fault(FaultKinds.Hook, request.Guest ?? $"run {run}", $"the {request.Kind.ToKey()} hook's result could not be told or journaled ({e.Message}); continuing"));
            }
            catch (Exception)
            {
                // The fault sink itself failed: nothing is left to tell; continuing.
            }
        }
    }

    private async Task AfterAsync(HookRequest request, HookResult result)
    {
        if (!result.Succeeded)
        {
            string whose = request.Guest is null ? "the run's" : "its";
            fault?.Invoke(new Fault(FaultKinds.Hook, request.Guest ?? $"run {run}",
                $"{whose} {request.Kind.ToKey()} hook {request.Command.Argv[0]}: {result.Error ?? result.Result}; ignoring it, continuing"));
        }

        Ended?.Invoke(result);
        if (journal is null || run == 0)
        {
            return;
        }

        try
        {
            var write = journal.RecordHookAsync(run, result);
            await write.WaitAsync(Journal.AnswerTimeout, time);
        }
        catch (Exception e) when (e is JournalException or TimeoutException or ArgumentException or InvalidOperationException)
        {
            fault?.Invoke(new Fault(FaultKinds.Journal, journal.FilePath, $"the {request.Kind.ToKey()} hook's result could not be journaled ({e.Message}); continuing"));
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
