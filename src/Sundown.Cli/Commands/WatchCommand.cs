using System.CommandLine;
using System.Globalization;
using Sundown.Cli.Rendering;
using Sundown.Cli.Systemd;
using Sundown.Core.Config;
using Sundown.Core.Ups;
using Sundown.Engine.Config;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;
using Sundown.Engine.Watching;
using Sundown.Nut;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown watch</c>: follows the config's UPS and begins the guests' stop early enough
/// (<see cref="WatchLoop"/>), and follows logind (<see cref="Logind"/>), whose announcement of a
/// poweroff or reboot begins the guests' stop at once; what sundown-watch.service runs.
/// <c>watch --status</c> prints what the running watch last saw.
/// </summary>
internal static class WatchCommand
{
    internal static Command Create()
    {
        var connect = HostOptions.CreateConnect();
        var status = new Option<bool>("--status") { Description = "print what the running watch last saw and did, and touch nothing" };
        var json = new Option<bool>("--json") { Description = "with --status: as JSON" };
        // For tests: somewhere other than /run/sundown.
        var statusFile = new Option<string>("--status-file")
        {
            Description = $"where watch keeps its state (default {WatchStatusFile.DefaultPath})",
            HelpName = "FILE",
            Hidden = true,
            DefaultValueFactory = _ => WatchStatusFile.DefaultPath,
        };
        var command = new Command("watch", "Follow the host's shutdown (logind) and the UPS (the config's [ups]): begin the guests' stop the moment a poweroff is requested, or early enough for the battery; start them again when the power holds.")
        {
            connect, status, json, statusFile,
        };
        command.SetAction(async (parseResult, cancellation) =>
        {
            string path = Path.GetFullPath(parseResult.GetValue(statusFile)!);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(status))
            {
                return PrintStatus(path, parseResult.GetValue(json), output);
            }

            if (parseResult.GetValue(json))
            {
                throw new UsageException("--json goes with --status: watch itself logs lines, to stderr and the journal");
            }

            // A service, as the stop at shutdown is: a config broken since it last parsed falls back
            // to its last good copy, said at err, rather than turning the UPS's watch off.
            var error = parseResult.InvocationConfiguration.Error;
            bool journal = LogPriority.GoesToJournal(error);
            string? configPath = parseResult.GetValue(GlobalOptions.Config);
            string stateDirectory = parseResult.GetValue(GlobalOptions.StateDirectory)!;
            var logLock = new Lock();
            void Log(WatchEvent e, DateTimeOffset at)
            {
                string line = $"sundown watch: {e.Message}";
                // From watch's loop and from the logind follower's thread.
                lock (logLock)
                {
                    error.WriteLine(journal ? LogPriority.Prefix((int)e.Severity, line) : $"[{at.UtcDateTime:HH:mm:ss}] {SeverityWord(e.Severity)}{line}");
                }
            }

            // At start, and again at a shutdown's announcement (as sundown.service's stop would read it then).
            SundownConfig LoadConfig()
            {
                var loaded = ConfigFile.LoadOrFallBack(configPath, stateDirectory, out var fault);
                if (fault is not null)
                {
                    Log(new WatchEvent(WatchSeverity.Error, $"fault ({fault.Kind}): {fault.Subject}: {fault.Message}"), TimeProvider.System.GetUtcNow());
                }

                return loaded;
            }

            var config = LoadConfig();
            // Without [ups], logind alone: the stop begins when a poweroff or reboot is requested.
            var ups = HostOptions.OpenUps(config);
            var shutdowns = new ShutdownAnnouncements();
            // A rack's secondary: a login on the UPS for as long as watch lives, which ends only
            // after its own stop (the primary's upsmon waits for it before powering the UPS off).
            await using var login = config.Ups is { Role: UpsRole.Secondary, Credentials: { } user } upsConfig
                ? NutLogin.Hold(upsConfig.Name, user, NutUps.DefaultTimeout, e => Log(e, TimeProvider.System.GetUtcNow()))
                : null;
            var request = new WatchRequest(config, config.Ups, GlobalOptions.Uris(parseResult, connect, config), stateDirectory, path)
            {
                Shutdowns = shutdowns,
                LoadConfig = LoadConfig,
                LoginState = login is null ? null : () => login.State,
                SetForcedShutdown = config.Ups is { SetsForcedShutdown: true, Credentials: { } primary } && ups is NutUps nut
                    ? cancellation => nut.SetForcedShutdownAsync(primary, cancellation)
                    : null,
            };

            using var interrupt = new Interruption();
            // Ends with watch: the follower's cancellation, then its task, below.
            using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token);
            var following = Task.Run(() => Logind.FollowAsync(shutdowns, (severity, message) => Log(new WatchEvent(severity, message), TimeProvider.System.GetUtcNow()), stopFollowing.Token));
            using var stopConsole = new StopConsole(error, TimeProvider.System, journal);
            // Under sundown-watch.service (NotifyAccess=main): while a stop of watch's runs, a SIGTERM
            // must not end it at the unit's static TimeoutStopSec=; the extensions reach that stop's
            // deadline plus the margin. No STOPPING=1: systemd would take it for the unit stopping.
            using var systemd = SystemdNotifier.FromEnvironment(TimeProvider.System, UnitFile.StopMargin, announceStopping: false);
            IStopObserver stopObserver = systemd is null ? stopConsole : new CompositeStopObserver([stopConsole, systemd]);
            try
            {
                await WatchLoop.RunAsync(
                    request, ups, HostOptions.Opener(readOnly: false), HostOptions.Opener(readOnly: true), TimeProvider.System, Log, stopObserver, interrupt.Token);
            }
            finally
            {
                await stopFollowing.CancelAsync();
                await following;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string SeverityWord(WatchSeverity severity) => severity switch
    {
        WatchSeverity.Critical => "CRITICAL: ",
        WatchSeverity.Error => "error: ",
        WatchSeverity.Warning => "warning: ",
        _ => "",
    };

    /// <summary>
    /// Whether process <paramref name="pid"/> runs this same binary: its comm, which the kernel keeps
    /// as the first 15 bytes of the program's file name.
    /// </summary>
    private static bool IsSundown(int pid)
    {
        string name = Path.GetFileName(Environment.ProcessPath ?? "sundown");
        name = name.Length > 15 ? name[..15] : name;
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").TrimEnd('\n') == name;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int PrintStatus(string path, bool asJson, TextWriter output)
    {
        WatchStatus? status;
        try
        {
            status = WatchStatusFile.Read(path);
        }
        catch (Exception problem) when (problem is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the watch's state: {problem.Message}");
        }

        // A file left by a watch that was killed (SIGKILL, a crash) names a process that is gone, or
        // whose number another program has by now.
        bool running = status is not null && IsSundown(status.Pid);
        if (asJson)
        {
            JsonOutput.Write(output, json =>
            {
                if (running)
                {
                    WatchStatusFile.WriteJson(json, status!);
                }
                else
                {
                    json.WriteStartObject();
                    json.WriteBoolean("running", false);
                    json.WriteEndObject();
                }
            });
            return ExitCodes.Ok;
        }

        if (!running)
        {
            output.WriteLine(status is null
                ? $"sundown watch is not running (no state in {path})."
                : $"sundown watch is not running: {path} was left by process {status.Pid}, last written {Time(status.UpdatedAt)}.");
            return ExitCodes.Ok;
        }

        var s = status!;
        output.WriteLine($"sundown watch is running (pid {s.Pid}), following {(s.Ups == "none" ? "no UPS" : s.Ups)}; last updated {Time(s.UpdatedAt)}.");
        output.WriteLine($"  logind:       {s.Logind ?? "not followed"}");
        if (s.Login is { } login)
        {
            // It may quote upsd's own words (an ERR code): printable, as the last event is.
            output.WriteLine($"  UPS login:    {TextTable.Printable(login)}");
        }

        if (s.ShutdownAnnouncedAt is { } announced)
        {
            output.WriteLine($"  shutdown:     announced by logind at {Time(announced)}; the guests' stop began then");
        }

        if (s.Ups == "none")
        {
            output.WriteLine("  UPS:          none (no [ups] in the config)");
        }
        else
        {
            output.WriteLine($"  phase:        {s.Phase.ToWord()}");
            output.WriteLine($"  UPS:          {(s.UpsError is { } e ? $"unreadable ({e})" : s.UpsStatus ?? "not read yet")}");
            output.WriteLine($"  runtime:      {Span(s.Runtime, "not reported")}");
            output.WriteLine($"  worst case:   {Span(s.WorstCase, "not known (made when the UPS goes on battery)")}");
            output.WriteLine($"  stop begins:  {(s.TriggerRuntime is { } t ? $"at battery.runtime ≤ {Durations.Format(t)}" : "on battery, when the runtime reaches the worst case")}");
        }

        if (s.LastEvent is { } last)
        {
            output.WriteLine($"  last event:   {(s.LastEventAt is { } at ? Time(at) : "")} {last.Severity.ToString().ToLowerInvariant()}: {TextTable.Printable(last.Message)}");
        }

        return ExitCodes.Ok;
    }

    private static string Span(TimeSpan? span, string none) => span is { } s ? Durations.Format(s) : none;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
