using System.Threading.Channels;
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
/// whether the guests start again. It also hears logind (<see cref="WatchRequest.Shutdowns"/>):
/// a poweroff or reboot requested begins the guests' stop at once, with the budget of the
/// unit's stop, while logind waits out its delay inhibitors (5 s) before systemd's shutdown
/// job; a shutdown cancelled after that brings back what the stop brought down. A UPS that does
/// not answer never ends it; only <see cref="RunAsync"/>'s cancellation does, and never in the
/// middle of its own stop.
/// </summary>
public static class WatchLoop
{
    /// <param name="open">Opens a host for the stop and the start (read-write).</param>
    /// <param name="openReadOnly">Opens a host for the worst case (reading only).</param>
    /// <param name="log">Told of every event, with the time it happened.</param>
    /// <param name="stopObserver">Follows the stop that watch begins (its steps and faults).</param>
    /// <param name="cancel">Ends watch (SIGTERM): at once while it only follows, after its stop when one runs.</param>
    /// <param name="ups">The config's UPS; null without [ups] (watch then follows logind alone).</param>
    public static async Task RunAsync(
        WatchRequest request, IUps? ups, Func<string, IGuestHost> open, Func<string, IGuestHost> openReadOnly, TimeProvider time,
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
        WatchRequest request, IUps? ups, Func<string, IGuestHost> open, Func<string, IGuestHost> openReadOnly, TimeProvider time,
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

        /// <summary>logind's announcements still to be read; null once there are none to come.</summary>
        private ChannelReader<bool>? _shutdowns = request.Shutdowns?.Reader;

        /// <summary>The wait for the next announcement, kept across polls (a new wait each poll would pile up).</summary>
        private Task<bool>? _announcementWait;

        /// <summary>When logind announced the host's shutdown that watch is stopping the guests for; null when none is.</summary>
        private DateTimeOffset? _shutdownAt;

        /// <summary>
        /// The stop watch began for that shutdown, and finished: what a cancel may start again. False
        /// when the guests were stopped otherwise (for the UPS, or by an operator's stop that this one
        /// only joined): then the UPS's on_power_return, or the operator, decides.
        /// </summary>
        private bool _stoppedForShutdown;

        internal async Task RunAsync(CancellationToken cancel)
        {
            if (ups is not null && request.Ups is { } upsConfig)
            {
                Say(WatchSeverity.Info, $"following the UPS {ups.Name} every {Durations.Format(request.PollInterval)} (margin {Durations.Format(upsConfig.Margin)}, on_power_return = \"{upsConfig.OnPowerReturn}\")");
            }
            else
            {
                Say(WatchSeverity.Info, "the config has no [ups]: following the host's shutdown (logind) only");
            }

            while (!cancel.IsCancellationRequested)
            {
                if (ups is null)
                {
                    // Nothing to read: only logind's announcements.
                }
                else if (await ReadAsync(ups, cancel) is { } reading)
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
                bool? announced;
                try
                {
                    announced = await NextAnnouncementAsync(cancel);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (announced is { } requested)
                {
                    await ShutdownAnnouncedAsync(requested, cancel);
                }
            }

            Say(WatchSeverity.Info, "watch ends (asked to stop)");
        }

        /// <summary>
        /// Waits the poll interval, or less when logind announces something first: true, a shutdown
        /// requested; false, one cancelled; null, the interval passed.
        /// </summary>
        /// <exception cref="OperationCanceledException">Watch was asked to end.</exception>
        private async Task<bool?> NextAnnouncementAsync(CancellationToken cancel)
        {
            if (_shutdowns is { } reader && reader.TryRead(out bool now))
            {
                // A wait that saw this item has nothing more to say: the next one is new.
                if (_announcementWait is { IsCompleted: true })
                {
                    _announcementWait = null;
                }

                return now;
            }

            var delay = Task.Delay(request.PollInterval, time, cancel);
            if (_shutdowns is null)
            {
                await delay;
                return null;
            }

            _announcementWait ??= _shutdowns.WaitToReadAsync(CancellationToken.None).AsTask();
            if (await Task.WhenAny(delay, _announcementWait) == delay)
            {
                await delay;
                return null;
            }

            bool more = await _announcementWait;
            _announcementWait = null;
            if (!more)
            {
                // The follower ended: nothing more will come, and the UPS (if any) is all there is.
                _shutdowns = null;
                return null;
            }

            return _shutdowns.TryRead(out bool next) ? next : null;
        }

        /// <summary>
        /// logind's <c>PrepareForShutdown</c>. Requested: the guests' stop begins now, with the budget
        /// sundown.service's stop would have (the config's, or the UPS's runtime less the margin on
        /// battery), and is seen through whatever comes next (systemd's SIGTERM to watch included:
        /// its stop of sundown.service waits for this one, ordered after it, and finds the guests
        /// safe). Cancelled after such a stop: the host stays up, so what the stop brought down is
        /// started again from the restore list, as <c>sundown start</c> would, once the stop has ended
        /// (a guest halfway through its shutdown cannot be called back).
        /// </summary>
        /// <param name="cancel">Watch asked to end (SIGTERM: systemd stopping it, the host going down): no start then.</param>
        private async Task ShutdownAnnouncedAsync(bool requested, CancellationToken cancel)
        {
            var now = time.GetUtcNow();
            if (!requested)
            {
                bool restart = _stoppedForShutdown;
                bool announced = _shutdownAt is not null;
                _shutdownAt = null;
                _stoppedForShutdown = false;
                if (!announced)
                {
                    Say(WatchSeverity.Info, "logind says a shutdown was cancelled; watch had begun nothing for it, nothing to do");
                }
                else if (cancel.IsCancellationRequested)
                {
                    Say(WatchSeverity.Notice, "logind says the host's shutdown was cancelled, but watch is being stopped: nothing is started (`sundown start` brings the guests back)");
                }
                else if (!restart || _state.Phase != WatchPhase.OnLine)
                {
                    // On battery, or stopped for the UPS: on_power_return decides when they come back.
                    Say(WatchSeverity.Notice, $"logind says the host's shutdown was cancelled: the host stays up; the guests were not stopped by watch for it{(_state.Phase == WatchPhase.OnLine ? "" : " (the UPS's on_power_return decides)")}, so nothing is started");
                }
                else
                {
                    Say(WatchSeverity.Notice, "logind says the host's shutdown was cancelled: the host stays up, so the guests the stop brought down start again");
                    WriteStatus();
                    await StartAsync("after the cancelled shutdown", cancel);
                }

                return;
            }

            if (_shutdownAt is not null)
            {
                return;
            }

            _shutdownAt = now;
            if (_state.Phase is WatchPhase.Stopped or WatchPhase.Holding)
            {
                Say(WatchSeverity.Notice, "logind announces the host's shutdown: the guests were stopped already (for the UPS); sundown.service's stop finds them safe");
                return;
            }

            var config = LoadConfig();
            var budget = config.Budget;
            string from = budget is { } b ? $"the config's budget, {Durations.Format(b)}" : "no overall deadline (the config has no budget)";
            if (ups is not null && request.Ups is { } upsConfig)
            {
                var power = await PowerBudget.ReadAsync(ups, upsConfig, budget, time, CancellationToken.None);
                if (power.FromRuntime(budget) && power.Budget is { } onBattery)
                {
                    from = $"{Rounded(onBattery)}, the UPS's runtime less the margin";
                }

                budget = power.Budget;
                if (power.Note is { } note)
                {
                    Say(power.Reading is null ? WatchSeverity.Warning : WatchSeverity.Notice, note);
                }
            }

            Say(WatchSeverity.Notice, $"logind announces the host's shutdown (PrepareForShutdown): the guests' stop begins now, with {from}, while logind waits for its inhibitors; sundown.service's stop will find it done");
            WriteStatus();
            // A stop that only joined an earlier one (an operator's, every guest off already) brought nothing down.
            _stoppedForShutdown = await StopAsync(config, budget, atShutdown: true) is { Joined: false };
        }

        /// <summary>The config as the stop at shutdown would read it now; the one watch began with if reading it fails.</summary>
        private SundownConfig LoadConfig()
        {
            if (request.LoadConfig is not { } load)
            {
                return request.Config;
            }

            try
            {
                return load();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Say(WatchSeverity.Error, $"cannot read the config again ({e.Message}): stopping with the one watch began with");
                return request.Config;
            }
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

            // Only with a UPS, so with its [ups].
            var step = WatchTrigger.Next(_state, reading, now, TriggerWorstCase(), request.Ups!, request.Config.Budget, request.PollInterval);
            foreach (var e in step.Events)
            {
                Say(e);
            }

            _state = step.State;
            if (_shutdownAt is not null && step.Action == WatchAction.Start)
            {
                // The host is going down (logind): guests started under a shutdown would be killed.
                // A stop still runs (it finds the guests off, and joins, unless one came up again).
                Say(WatchSeverity.Info, "the host is shutting down (logind): the UPS's power return starts nothing");
                _state = WatchTrigger.StartEnded();
                return;
            }

            // Said when it is made on going on battery, and again only when it changes.
            if (fresh && step.TriggerRuntime is { } trigger && trigger != _triggerSaid)
            {
                _triggerSaid = trigger;
                Say(WatchSeverity.Info, RackSlowest() is { } slowest && TriggerWorstCase() > _worstCase
                    ? $"the plan's worst case is {Rounded(_worstCase!.Value)}, the rack's slowest host ({slowest.Host}) needs {Rounded(slowest.Needs)}: FSD is set and the guests' stop begins when battery.runtime is {Rounded(trigger)} or less"
                    : $"the plan's worst case is {Rounded(_worstCase!.Value)}: {(Forces ? "FSD is set and " : "")}the guests' stop begins when battery.runtime is {Rounded(trigger)} or less");
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
                    await SetForcedShutdownAsync(reading);
                    // Not cancelled by SIGTERM: a stop begun because the battery is running out is
                    // seen through, and watch ends after it (systemd waits TimeoutStopSec= for it).
                    await StopAsync(request.Config, step.Budget, atShutdown: _shutdownAt is not null);
                    _state = WatchTrigger.StopEnded(_state);
                    break;
                case WatchAction.Start:
                    WriteStatus();
                    await StartAsync("on power return", cancel);
                    _state = WatchTrigger.StartEnded();
                    break;
                default:
                    break;
            }
        }

        /// <summary>On the primary, with fsd = true: watch sets FSD when its trigger fires.</summary>
        private bool Forces => request.Ups is { SetsForcedShutdown: true } && request.SetForcedShutdown is not null;

        /// <summary>The rack's slowest other host, on a primary that may set FSD; null otherwise.</summary>
        private RackHost? RackSlowest() =>
            Forces && request.Ups!.Secondaries.Length > 0 ? request.Ups.Secondaries.MaxBy(h => h.Needs) : null;

        /// <summary>
        /// The worst case the trigger counts: this host's plan's; on a primary that may set FSD, the
        /// slowest host of the rack's (FSD takes every host down at once, so the rack must go down
        /// while the slowest still has time). Unknown stays unknown (the trigger is then at once).
        /// </summary>
        private TimeSpan? TriggerWorstCase() =>
            _worstCase is { } own && RackSlowest() is { } slowest && slowest.Needs > own ? slowest.Needs : _worstCase;

        /// <summary>
        /// On the primary with fsd = true, as its guests' stop begins: FSD at upsd, so that every
        /// host's upsmon shuts its host down now (each host's sundown stops its guests at that
        /// shutdown, if its own watch has not begun already) and this host's upsmon waits HOSTSYNC
        /// for the secondaries' logins before it powers off. upsd keeps FSD until it restarts: the
        /// rack goes down even if the power comes back. A refusal is said, and the stop goes on.
        /// </summary>
        private async Task SetForcedShutdownAsync(UpsReading reading)
        {
            if (!Forces || reading.ForcedShutdown)
            {
                return;
            }

            // Only when the battery itself says the rack must go: a stop begun on the safe side
            // (no runtime to judge by, no worst case known) stops this host's guests, which come
            // back with the power; FSD, which upsd keeps until it restarts, would take the whole
            // rack down on a blip. Low battery is upsmon's own to act on: it sets FSD itself.
            var known = new[] { _worstCase, RackSlowest()?.Needs }.Where(w => w is not null).Select(w => w!.Value).ToList();
            if (reading.Runtime is not { } runtime || known.Count == 0
                || runtime > WatchTrigger.TriggerRuntime(known.Max(), request.Ups!.Margin, request.PollInterval))
            {
                Say(WatchSeverity.Notice, $"FSD is not set: {(reading.Runtime is null ? "the UPS reports no battery.runtime" : known.Count == 0 ? "no host's need is known" : "the runtime still covers the rack's slowest host")}, so only this host's guests are stopped; the other hosts' watch and upsmon go on their own");
                return;
            }

            string why = RackSlowest() is { } slowest && TriggerWorstCase() > _worstCase
                ? $"the rack's slowest host, {slowest.Host}, needs {Rounded(slowest.Needs)}"
                : "this host's guests need it";
            Say(WatchSeverity.Critical, $"setting FSD on the UPS {request.Ups!.Name}: the whole rack goes down now ({why}); every secondary's upsmon shuts its host down, and this host's upsmon waits HOSTSYNC for their logins before it powers the UPS off");
            try
            {
                await request.SetForcedShutdown!(CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever it was, this host's guests' stop comes next.
                Say(WatchSeverity.Error, $"cannot set FSD on the UPS {request.Ups.Name}: {e.Message}; each host's watch still stops its own guests, and NUT shuts the rack down at low battery, continuing");
            }
        }

        /// <summary>
        /// One reading through <see cref="PowerBudget.TryReadAsync"/>, held to its timeout whatever the
        /// reader does: the reading, or null once it has been said that the UPS cannot be read.
        /// </summary>
        private async Task<UpsReading?> ReadAsync(IUps ups, CancellationToken cancel)
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

        /// <param name="atShutdown">Begun for the host's shutdown (logind), as sundown.service's own stop is.</param>
        /// <returns>The stop's result; null when it failed outright (said).</returns>
        private async Task<StopResult?> StopAsync(SundownConfig config, TimeSpan? budget, bool atShutdown)
        {
            var stop = new StopRequest(config, request.Uris, budget, null, request.StateDirectory) { Ups = ups, AtShutdown = atShutdown };
            try
            {
                var result = await StopRun.RunAsync(stop, open, time, stopObserver, CancellationToken.None);
                var outcomes = result.Report.Guests.GroupBy(g => g.Outcome ?? "unfinished").Select(g => $"{g.Count()} {g.Key}");
                string summary = result.Report.Guests.Length == 0 ? "no guest" : string.Join(", ", outcomes);
                Say(
                    result.ExitCode is ExitCodes.Ok or ExitCodes.SomeForced ? WatchSeverity.Notice : WatchSeverity.Error,
                    result.Joined
                        ? $"every guest was off already: the stop joined run {result.Report.Run}, which ended with exit status {result.ExitCode}"
                        : $"the guests' stop (run {result.Report.Run}) ended with exit status {result.ExitCode}: {summary}");
                return result;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Another sundown holds the state directory (a stop already running) or something
                // unforeseen: said loudly; sundown.service's stop at the host's shutdown remains.
                Say(WatchSeverity.Error, $"the guests' stop failed: {e.Message} ({e.GetType().Name}); sundown.service's stop at the shutdown remains, continuing");
                return null;
            }
        }

        /// <param name="why">When it starts them, for the log: "on power return", "after the cancelled shutdown".</param>
        private async Task StartAsync(string why, CancellationToken cancel)
        {
            var start = new StartRequest(request.Config, request.Uris, DryRun: false, request.StateDirectory);
            try
            {
                var result = await StartRun.RunAsync(
                    start, open, time, null, cancel, fault => Say(WatchSeverity.Error, $"fault ({fault.Kind}): {fault.Subject}: {fault.Message}"));
                Say(
                    result.ExitCode == ExitCodes.Ok ? WatchSeverity.Notice : WatchSeverity.Error,
                    $"the guests' start {why} ended with exit status {result.ExitCode}: {result.Report.Guests.Length} guest(s) on the restore list");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Say(WatchSeverity.Error, $"the guests' start {why} failed: {e.Message} ({e.GetType().Name}); `sundown start` brings them back");
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
                Environment.ProcessId, ups?.Name.ToString() ?? "none", _state.Phase, _reading?.StatusText, _reading?.Runtime, _upsError,
                _worstCase, _triggerRuntime, _lastEvent, _lastEventAt, time.GetUtcNow())
            {
                Logind = request.Shutdowns?.State,
                Login = request.LoginState?.Invoke(),
                ShutdownAnnouncedAt = _shutdownAt,
            };
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
