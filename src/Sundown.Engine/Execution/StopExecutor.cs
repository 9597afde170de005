using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Execution;

/// <summary>
/// Carries out a <see cref="Plan"/>: tier after tier, every guest of a tier at once, each
/// climbing its ladder until it is off. It waits on the hosts' lifecycle events, never on a
/// polling loop; it reads a guest's state only to check what an event may have missed.
/// Every step is recorded before it is taken and again when it ends.
/// </summary>
public sealed class StopExecutor
{
    private readonly IReadOnlyDictionary<string, IGuestHost> _hosts;
    private readonly IStepRecorder _recorder;
    private readonly Action<StopProgress>? _progress;

    public StopExecutor(IReadOnlyDictionary<string, IGuestHost> hosts, Limits limits, IStepRecorder recorder, TimeProvider time, Action<StopProgress>? progress = null)
    {
        _hosts = hosts;
        _recorder = recorder;
        _progress = progress;
        Time = time;
        ShutdownSlots = new ConcurrencyLimit(limits.Shutdowns);
        SaveSlots = new ConcurrencyLimit(limits.Saves);
    }

    internal TimeProvider Time { get; }

    internal ConcurrencyLimit ShutdownSlots { get; }

    internal ConcurrencyLimit SaveSlots { get; }

    internal IStepRecorder Recorder => _recorder;

    /// <summary>
    /// Runs the plan. When <paramref name="interrupt"/> fires, no new step is taken: the guests
    /// still running are reported as skipped, and what was done is recorded.
    /// </summary>
    public async Task<ImmutableArray<GuestReport>> RunAsync(Plan plan, DateTimeOffset runStart, CancellationToken interrupt)
    {
        var watches = new ConcurrentDictionary<(string Uri, string Uuid), GuestWatch>();
        foreach (var guest in plan.Guests)
        {
            watches[(guest.Guest.Uri, guest.Guest.Uuid)] = new GuestWatch();
        }

        var events = Channel.CreateUnbounded<LifecycleEvent>(new UnboundedChannelOptions { SingleReader = true });
        var subscriptions = _hosts.Values.Select(host => host.SubscribeLifecycle(events.Writer)).ToList();
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
            foreach (var tier in plan.Tiers)
            {
                var tierStart = Time.GetUtcNow() - runStart;
                var stoppers = tier.Guests.Select(guest => new GuestStopper(
                    this, HostOf(guest.Guest), guest, Planner.Schedule(guest, tier, tierStart), watches[(guest.Guest.Uri, guest.Guest.Uuid)], runStart));
                reports.AddRange(await Task.WhenAll(stoppers.Select(stopper => stopper.RunAsync(interrupt))));
            }
        }
        finally
        {
            subscriptions.ForEach(subscription => subscription.Dispose());
            events.Writer.TryComplete();
            await pump;
        }

        // All at once, not one by one: the journal commits them together.
        await Task.WhenAll(plan.AlreadyOff.Select(guest => _recorder.GuestFinishedAsync(guest.Uri, guest.Uuid, GuestOutcome.AlreadyOff, 0)));
        foreach (var guest in plan.AlreadyOff)
        {
            reports.Add(new GuestReport(guest.Uri, guest.Name, guest.Uuid, guest.State.ToContractName(), JournalWords.ToWord(GuestOutcome.AlreadyOff), 0, []));
        }

        return reports.ToImmutable();
    }

    internal void Report(StopProgress progress) => _progress?.Invoke(progress);

    private IGuestHost HostOf(Guest guest) =>
        _hosts.TryGetValue(guest.Uri, out var host) ? host : throw new InvalidOperationException($"no open host for {guest.Uri}");
}
