using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Power;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;
using Sundown.Engine.Stopping;

namespace Sundown.Engine.Watching;

/// <summary>
/// <c>sundown watch</c>: reads the UPS every poll interval, keeps the plan's worst case at hand
/// while it is on battery, and when <see cref="WatchTrigger"/> says so begins the guests' stop
/// through the same engine as <c>sundown stop</c> (journal, restore list, the UPS re-read while
/// stopping) while the host stays up. After the power comes back, <c>on_power_return</c> decides
/// whether the guests start again. A UPS that does not answer never ends it; only
/// <see cref="RunAsync"/>'s cancellation does, and never in the middle of its own stop.
/// </summary>
public static class WatchLoop
{
    /// <param name="open">Opens a host for the stop and the start (read-write).</param>
    /// <param name="openReadOnly">Opens a host for the worst case (reading only).</param>
    /// <param name="log">Told of every event, with the time it happened.</param>
    /// <param name="stopObserver">Follows the stop that watch begins (its steps and faults).</param>
    /// <param name="cancel">Ends watch (SIGTERM): at once while it only follows, after its stop when one runs.</param>
    public static async Task RunAsync(
        WatchRequest request, IUps ups, Func<string, IGuestHost> open, Func<string, IGuestHost> openReadOnly, TimeProvider time,
        Action<WatchEvent, DateTimeOffset> log, IStopObserver? stopObserver, CancellationToken cancel)
    {
        var watch = new Watcher(request, ups, open, openReadOnly, time, log, stopObserver);
        try
        {
            await watch.RunAsync(cancel);
        }
        finally
        {
            watch.RemoveStatus();
        }
    }

    private sealed class Watcher(
        WatchRequest request, IUps ups, Func<string, IGuestHost> open, Func<string, IGuestHost> openReadOnly, TimeProvider time,
        Action<WatchEvent, DateTimeOffset> log, IStopObserver? stopObserver)
    {
        private WatchState _state = WatchState.Initial;
        private UpsReading? _reading;

        /// <summary>The last reading on battery with a runtime, and when it was taken: what a silent UPS is counted down from.</summary>
        private (UpsReading Reading, DateTimeOffset At)? _lastOnBattery;
        private string? _upsError;
        private DateTimeOffset? _unreadableSaidAt;
        private TimeSpan? _worstCase;
        private DateTimeOffset? _worstCaseAt;
        private TimeSpan? _triggerRuntime;
        private TimeSpan? _triggerSaid;
        private WatchEvent? _lastEvent;
        private DateTimeOffset? _lastEventAt;
        private bool _statusFailed;

        internal async Task RunAsync(CancellationToken cancel)
        {
            Say(WatchSeverity.Info, $"following the UPS {ups.Name} every {Durations.Format(request.PollInterval)} (margin {Durations.Format(request.Ups.Margin)}, on_power_return = \"{request.Ups.OnPowerReturn}\")");
            while (!cancel.IsCancellationRequested)
            {
                if (await ReadAsync(cancel) is { } reading)
                {
                    _lastOnBattery = reading.OnBattery && reading.Runtime is not null ? (reading, time.GetUtcNow()) : null;
                    await StepAsync(reading, cancel);
                }
                else if (_state.Phase == WatchPhase.OnBattery && _lastOnBattery is { } last)
                {
                    // The UPS went silent on battery (a upsd across a switch that the cut took down):
                    // the battery has lasted at most what it said, less the time since. Counted down,
                    // that still begins the stop in time.
                    var since = time.GetUtcNow() - last.At;
                    var left = last.Reading.Runtime!.Value - since;
                    await StepAsync(last.Reading with { Runtime = left > TimeSpan.Zero ? left : TimeSpan.Zero }, cancel);
                }

                WriteStatus();
                try
                {
                    await Task.Delay(request.PollInterval, time, cancel);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            Say(WatchSeverity.Info, "watch ends (asked to stop)");
        }

        private async Task StepAsync(UpsReading reading, CancellationToken cancel)
        {
            var now = time.GetUtcNow();
            bool following = _state.Phase is WatchPhase.OnLine or WatchPhase.OnBattery;
            bool fresh = false;
            if (following && reading.OnBattery && (_state.Phase == WatchPhase.OnLine || _worstCaseAt is not { } at || now - at >= request.WorstCaseEvery))
            {
                await RefreshWorstCaseAsync();
                fresh = true;
                // Listing the hosts may have taken seconds: the battery has run that much longer
                // than the reading says, and the trigger and the stop's budget must count it.
                var spent = time.GetUtcNow() - now;
                if (spent > TimeSpan.Zero && reading.Runtime is { } runtime)
                {
                    reading = reading with { Runtime = runtime > spent ? runtime - spent : TimeSpan.Zero };
                }

                now = time.GetUtcNow();
            }

            var step = WatchTrigger.Next(_state, reading, now, _worstCase, request.Ups, request.Config.Budget, request.PollInterval);
            foreach (var e in step.Events)
            {
                Say(e);
            }

            _state = step.State;
            // Said when it is made on going on battery, and again only when it changes.
            if (fresh && step.TriggerRuntime is { } trigger && trigger != _triggerSaid)
            {
                _triggerSaid = trigger;
                Say(WatchSeverity.Info, $"the plan's worst case is {Rounded(_worstCase!.Value)}: the guests' stop begins when battery.runtime is {Rounded(trigger)} or less");
            }

            _triggerRuntime = step.TriggerRuntime;
            if (_state.Phase != WatchPhase.OnBattery)
            {
                _triggerSaid = null;
            }

            switch (step.Action)
            {
                case WatchAction.Stop:
                    WriteStatus();
                    // Not cancelled by SIGTERM: a stop begun because the battery is running out is
                    // seen through, and watch ends after it (systemd waits TimeoutStopSec= for it).
                    await StopAsync(step.Budget);
                    _state = WatchTrigger.StopEnded(_state);
                    break;
                case WatchAction.Start:
                    WriteStatus();
                    await StartAsync(cancel);
                    _state = WatchTrigger.StartEnded();
                    break;
                default:
                    break;
            }
        }

        /// <summary>
        /// One reading through <see cref="PowerBudget.TryReadAsync"/>, held to its timeout whatever the
        /// reader does: the reading, or null once it has been said that the UPS cannot be read.
        /// </summary>
        private async Task<UpsReading?> ReadAsync(CancellationToken cancel)
        {
            UpsReading? reading;
            string? error;
            try
            {
                (reading, error) = await PowerBudget.TryReadAsync(ups, time, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return null;
            }

            if (reading is not null)
            {
                if (_upsError is not null)
                {
                    Say(WatchSeverity.Notice, $"the UPS {ups.Name} answers again ({reading.StatusText})");
                }

                _reading = reading;
                _upsError = null;
                _unreadableSaidAt = null;
                return reading;
            }

            var now = time.GetUtcNow();
            _upsError = error;
            if (_unreadableSaidAt is not { } said || now - said >= request.UnreadableRepeat)
            {
                string doing = _state.Phase == WatchPhase.OnBattery
                    ? (_lastOnBattery is { } last
                        ? $"the last reading said on battery with {Rounded(last.Reading.Runtime!.Value)} left: counting that down from {last.At.UtcDateTime:HH:mm:ss} UTC, continuing"
                        : "the last reading said on battery: if this lasts, NUT's own low-battery shutdown is what is left, continuing")
                    : "continuing to try every " + Durations.Format(request.PollInterval);
                Say(WatchSeverity.Error, $"cannot read the UPS {ups.Name}: {error}; {doing}");
                _unreadableSaidAt = now;
            }

            return null;
        }

        /// <summary>
        /// The plan of every guest with no budget, its worst case: the hosts opened read-only and
        /// listed within <see cref="WatchRequest.HostTimeout"/>. A host that does not answer keeps the
        /// last worst case known (or none, and then the trigger is at once).
        /// </summary>
        private async Task RefreshWorstCaseAsync()
        {
            var now = time.GetUtcNow();
            _worstCaseAt = now;
            try
            {
                using var hosts = await HostSet.OpenAsync(request.Uris, openReadOnly, request.HostTimeout, time);
                var inventory = await GuestsWithPolicies.ReadAsync(hosts, request.Config, null, request.HostTimeout, time);
                var missing = hosts.Unreachable.Concat(inventory.Unlisted).ToList();
                var plan = Planner.Build(inventory.Guests, null, request.Config.Limits, Estimate(inventory.Guests));
                if (missing.Count == 0)
                {
                    _worstCase = plan.WorstCaseEnd;
                    return;
                }

                string hostsText = string.Join(", ", missing.Select(h => $"{h.Uri} ({h.Message})"));
                if (_worstCase is { } known)
                {
                    _worstCase = known > plan.WorstCaseEnd ? known : plan.WorstCaseEnd;
                    Say(WatchSeverity.Warning, $"cannot list {hostsText}: keeping the last worst case known, {Rounded(_worstCase.Value)}");
                }
                else if (missing.Count < request.Uris.Count)
                {
                    // The stop could not reach the others either: their guests change nothing it can do.
                    _worstCase = plan.WorstCaseEnd;
                    Say(WatchSeverity.Warning, $"cannot list {hostsText}: the plan's worst case is that of the hosts that answered, {Rounded(plan.WorstCaseEnd)}");
                }
                else
                {
                    Say(WatchSeverity.Warning, $"cannot list {hostsText}: the plan's worst case is not known");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Say(WatchSeverity.Warning, $"cannot make the plan's worst case: {e.Message}; {(_worstCase is { } w ? $"keeping the last one known, {Rounded(w)}" : "none is known")}");
            }
        }

        /// <summary>The save bandwidth the journal has seen, as the stop plans with; the defaults when it cannot say.</summary>
        private Estimates Estimate(IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests)
        {
            if (!File.Exists(Path.Combine(request.StateDirectory, Journal.FileName)))
            {
                return Estimates.Default;
            }

            try
            {
                using var journal = Journal.Open(request.StateDirectory);
                var memory = guests.GroupBy(e => e.Guest.Uuid).ToDictionary(g => g.Key, g => g.First().Guest.MemoryKiB);
                return journal.SaveBytesPerSecond(memory) is { } observed ? new Estimates(observed) : Estimates.Default;
            }
            catch (JournalException)
            {
                return Estimates.Default;
            }
        }

        private async Task StopAsync(TimeSpan? budget)
        {
            var stop = new StopRequest(request.Config, request.Uris, budget, null, request.StateDirectory) { Ups = ups };
            try
            {
                var result = await StopRun.RunAsync(stop, open, time, stopObserver, CancellationToken.None);
                var outcomes = result.Report.Guests.GroupBy(g => g.Outcome ?? "unfinished").Select(g => $"{g.Count()} {g.Key}");
                string summary = result.Report.Guests.Length == 0 ? "no guest" : string.Join(", ", outcomes);
                Say(
                    result.ExitCode is ExitCodes.Ok or ExitCodes.SomeForced ? WatchSeverity.Notice : WatchSeverity.Error,
                    $"the guests' stop (run {result.Report.Run}) ended with exit status {result.ExitCode}: {summary}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Another sundown holds the state directory (a stop already running) or something
                // unforeseen: said loudly; sundown.service's stop at the host's shutdown remains.
                Say(WatchSeverity.Error, $"the guests' stop failed: {e.Message} ({e.GetType().Name}); continuing to follow the UPS");
            }
        }

        private async Task StartAsync(CancellationToken cancel)
        {
            var start = new StartRequest(request.Config, request.Uris, DryRun: false, request.StateDirectory);
            try
            {
                var result = await StartRun.RunAsync(
                    start, open, time, null, cancel, fault => Say(WatchSeverity.Error, $"fault ({fault.Kind}): {fault.Subject}: {fault.Message}"));
                Say(
                    result.ExitCode == ExitCodes.Ok ? WatchSeverity.Notice : WatchSeverity.Error,
                    $"the guests' start on power return ended with exit status {result.ExitCode}: {result.Report.Guests.Length} guest(s) on the restore list");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Say(WatchSeverity.Error, $"the guests' start on power return failed: {e.Message} ({e.GetType().Name}); `sundown start` brings them back");
            }
        }

        private void Say(WatchSeverity severity, string message) => Say(new WatchEvent(severity, message));

        private void Say(WatchEvent e)
        {
            var now = time.GetUtcNow();
            _lastEvent = e;
            _lastEventAt = now;
            log(e, now);
        }

        private void WriteStatus()
        {
            if (request.StatusFile is not { } path)
            {
                return;
            }

            var status = new WatchStatus(
                Environment.ProcessId, ups.Name.ToString(), _state.Phase, _reading?.StatusText, _reading?.Runtime, _upsError,
                _worstCase, _triggerRuntime, _lastEvent, _lastEventAt, time.GetUtcNow());
            try
            {
                WatchStatusFile.Write(path, status);
                _statusFailed = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only the operator's view is lost, never what happens to a guest: said once.
                if (!_statusFailed)
                {
                    Say(WatchSeverity.Warning, $"cannot write the status file {path}: {e.Message}; continuing without it");
                }

                _statusFailed = true;
            }
        }

        /// <summary>To the second, as the plan's figures are read by a person.</summary>
        private static string Rounded(TimeSpan span) => Durations.Format(TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)));

        internal void RemoveStatus()
        {
            if (request.StatusFile is { } path)
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A stale file says its pid, which --status checks.
                }
            }
        }
    }
}
