using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Engine.Hooks;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Execution;

/// <summary>
/// Carries out a <see cref="Plan"/>: tier after tier, every guest of a tier at once, each
/// climbing its ladder until it is off. It waits on the hosts' lifecycle events, never on a
/// polling loop; it reads a guest's state only to check what an event may have missed.
/// Every step is recorded before it is taken and again when it ends, unless the journal is
/// stuck or failing: then the steps are taken all the same and the fault reported.
/// Every call into a host runs on a thread of its own and is held to its step's end
/// (<see cref="ScheduledStep"/>), so a frozen libvirtd costs guests their steps, never the
/// stop its deadline: a stop with a budget ends by the budget plus <see cref="Estimates.DestroyGrace"/>.
/// </summary>
public sealed partial class StopExecutor
{
    /// <summary>
    /// The long calls (managed saves, agent shutdowns: minutes each) in flight at once on one
    /// host. libvirtd serves at most <c>max_client_requests</c> calls of one connection at once
    /// (5 by default in libvirtd.conf); a sixth waits in the socket until one returns. Four long
    /// calls leave the fifth for the short ones, so a destroy never waits behind saves.
    /// </summary>
    public const int LongCallsPerHost = 4;

    private readonly IReadOnlyDictionary<string, IGuestHost> _hosts;
    private readonly Action<StopProgress>? _progress;
    private readonly Action<Fault>? _fault;
    private readonly Dictionary<IGuestHost, ConcurrencyLimit> _longCalls = new(ReferenceEqualityComparer.Instance);
    private readonly Limits _limits;
    private readonly Estimates _estimates;
    private CancellationToken _interrupt;
    private int _journalFailed;

    /// <param name="fault">Told of what went wrong around the guests and was worked around (a journal that fails or hangs).</param>
    /// <param name="longCallsPerHost">Long calls at once per host: <see cref="LongCallsPerHost"/> unless libvirtd's limit differs.</param>
    /// <param name="estimates">What the plan was made with: a tightening plans the tiers not yet begun again with them.</param>
    public StopExecutor(
        IReadOnlyDictionary<string, IGuestHost> hosts,
        Limits limits,
        IStepRecorder recorder,
        TimeProvider time,
        Action<StopProgress>? progress = null,
        Action<Fault>? fault = null,
        int longCallsPerHost = LongCallsPerHost,
        Estimates? estimates = null)
    {
        _hosts = hosts;
        _limits = limits;
        _estimates = estimates ?? Estimates.Default;
        _progress = progress;
        _fault = fault;
        Time = time;
        ShutdownSlots = new ConcurrencyLimit(limits.Shutdowns);
        SaveSlots = new ConcurrencyLimit(limits.Saves);
        foreach (var host in hosts.Values)
        {
            _longCalls[host] = new ConcurrencyLimit(Math.Max(longCallsPerHost, 1));
        }

        Journal = new StepJournal(recorder, time, JournalFailed, JournalStalled);
    }

    internal TimeProvider Time { get; }

    /// <summary>The guests' hooks (pre_stop waited for, post_stop in the background); null runs none.</summary>
    public RunHooks? Hooks { get; init; }

    internal ConcurrencyLimit ShutdownSlots { get; }

    internal ConcurrencyLimit SaveSlots { get; }

    internal StepJournal Journal { get; }

    /// <summary>The journal's number of this run, named in the snapshots it makes; null for a run without a journal.</summary>
    public long? RunNumber { get; init; }

    /// <summary>
    /// Runs the plan. When <paramref name="interrupt"/> fires, no new step is taken: the guests
    /// still running are reported as skipped, and what was done is recorded.
    /// </summary>
    public async Task<ImmutableArray<GuestReport>> RunAsync(Plan plan, DateTimeOffset runStart, CancellationToken interrupt)
    {
        lock (_tightening)
        {
            _plan = plan;
            _budget = plan.Budget;
            _interrupt = interrupt;
            _wake = new Wake(interrupt);
        }

        var watches = new ConcurrentDictionary<(string Uri, string Uuid), GuestWatch>();
        foreach (var guest in plan.Guests)
        {
            watches[(guest.Guest.Uri, guest.Guest.Uuid)] = new GuestWatch();
        }

        var events = Channel.CreateUnbounded<LifecycleEvent>(new UnboundedChannelOptions { SingleReader = true });
        var subscriptions = await SubscribeAsync(events.Writer);
        var pump = Task.Run(async () =>
        {
            await foreach (var lifecycleEvent in events.Reader.ReadAllAsync())
            {
                if (watches.TryGetValue((lifecycleEvent.Uri, lifecycleEvent.Uuid), out var watch))
                {
                    watch.OnEvent(lifecycleEvent);
                }
            }
        });

        var reports = ImmutableArray.CreateBuilder<GuestReport>();
        try
        {
            for (int i = 0; i < plan.Tiers.Length; i++)
            {
                // Each tier's times when it really begins: the plan's, or shorter when the budget was tightened meanwhile.
                var stoppers = BeginTier(i, runStart, guest => watches[(guest.Guest.Uri, guest.Guest.Uuid)]);
                reports.AddRange(await Task.WhenAll(stoppers.Select(stopper => stopper.RunAsync(interrupt))));
            }
        }
        finally
        {
            EndTiers();
            await UnsubscribeAsync(subscriptions);
            events.Writer.TryComplete();
            await pump;
        }

        // Every post_stop is held to its guest's deadline: this waits no longer than that.
        if (Hooks is not null)
        {
            await Hooks.DrainAsync();
        }

        // All at once, not one by one: the journal commits them together.
        await Journal.SettleAsync(Task.WhenAll(plan.AlreadyOff.Select(guest => Journal.GuestFinished(guest, GuestOutcome.AlreadyOff, 0))));
        foreach (var guest in plan.AlreadyOff)
        {
            reports.Add(new GuestReport(guest.Uri, guest.Name, guest.Uuid, guest.State.ToContractName(), JournalWords.ToWord(GuestOutcome.AlreadyOff), 0, []));
        }

        return reports.ToImmutable();
    }

    internal void Report(StopProgress progress) => _progress?.Invoke(progress);

    /// <summary>
    /// Every host's lifecycle events, each subscription held to <see cref="Estimates.CallWait"/>. A
    /// host whose subscription fails or hangs (a frozen libvirtd, access rules) is a fault, never the
    /// end of the stop: its guests are stopped without events, their state read at each step's end.
    /// </summary>
    private async Task<List<IDisposable>> SubscribeAsync(ChannelWriter<LifecycleEvent> sink)
    {
        var subscribing = _hosts.Values.Select(host => (host, call: HostCall.Run(() => host.SubscribeLifecycle(sink)))).ToList();
        var subscriptions = new List<IDisposable>();
        foreach (var (host, call) in subscribing)
        {
            await ((Task)call).WaitAsync(Estimates.CallWait, Time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (call.IsCompletedSuccessfully)
            {
                subscriptions.Add(call.Result);
                continue;
            }

            // One that comes later is not needed any more.
            _ = call.ContinueWith(static c => c.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            string why = call.IsFaulted ? call.Exception!.InnerException?.Message ?? call.Exception.Message : $"no answer in {Estimates.CallWait.TotalSeconds:0}s";
            _fault?.Invoke(new Fault(FaultKinds.Host, host.Uri,
                $"cannot follow its guests' lifecycle events ({why}); their state is read at each step's end instead, continuing"));
        }

        return subscriptions;
    }

    /// <summary>All at once and held to <see cref="Estimates.CallWait"/>: a libvirtd that froze at the end must not hold up the report.</summary>
    private async Task UnsubscribeAsync(List<IDisposable> subscriptions) =>
        await Task.WhenAll(subscriptions.Select(subscription => HostCall.Run(subscription.Dispose)))
            .WaitAsync(Estimates.CallWait, Time)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>The long-call slots of <paramref name="host"/>: see <see cref="LongCallsPerHost"/>.</summary>
    internal ConcurrencyLimit LongCallsOf(IGuestHost host) => _longCalls[host];

    private void JournalFailed(Guest guest, string message)
    {
        Report(new StopProgress(Time.GetUtcNow(), guest.Uri, guest.Uuid, guest.Name, null, StepResult.Error, null, message));
        // One fault for the run's report; every failure is on the console.
        if (Interlocked.Exchange(ref _journalFailed, 1) == 0)
        {
            _fault?.Invoke(new Fault(FaultKinds.Journal, null, $"a journal write failed ({message}); the steps were taken anyway"));
        }
    }

    private void JournalStalled(string message) => _fault?.Invoke(new Fault(FaultKinds.Journal, null, message));

    private IGuestHost HostOf(Guest guest) =>
        _hosts.TryGetValue(guest.Uri, out var host) ? host : throw new InvalidOperationException($"no open host for {guest.Uri}");
}
