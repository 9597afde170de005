using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Cli.Systemd;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Ups;
using Sundown.Engine.Config;
using Sundown.Engine.Journaling;
using Sundown.Engine.Power;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;
using Sundown.Nut;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown stop</c>: every guest to a safe state within the budget. A plain stop refuses bad
/// input before touching anything; the stop at shutdown (<c>--at-shutdown</c>, what the unit's
/// ExecStop= runs) is the last line of defence and never refuses: what is wrong becomes a fault,
/// and the guests are stopped all the same.
/// </summary>
internal static class StopCommand
{
    internal static Command Create()
    {
        var connect = HostOptions.CreateConnect();
        var budget = HostOptions.CreateBudget();
        var only = new Option<string[]>("--only")
        {
            Description = "stop only this guest (repeatable); the others are left alone",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<bool>("--json") { Description = "print the run's report as JSON" };
        var atShutdown = new Option<bool>("--at-shutdown")
        {
            Description = "the stop sundown.service runs at host shutdown: a bad config falls back (to the last good one, else the defaults) instead of being refused",
        };
        var command = new Command("stop", "Shut down, save or, at their deadline, power off every guest, tier by tier.") { connect, budget, only, json, atShutdown };
        command.SetAction(async (parseResult, cancellation) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            string stateDirectory = parseResult.GetValue(GlobalOptions.StateDirectory)!;
            bool shutdown = parseResult.GetValue(atShutdown);
            var faults = new List<Fault>();

            // Under systemd (ExecStop= of sundown.service): keep its stop timer from firing, from
            // here to the plan and then while the plan runs. Begun first: the unit's TimeoutStopSec=
            // is static, and the config, the UPS and the hosts come before the plan.
            using var systemd = SystemdNotifier.FromEnvironment(TimeProvider.System, UnitFile.StopMargin);
            systemd?.Begin();

            // First, so that its warning is not lost: keeping the config's good copy would repair it silently.
            if (RepairStateDirectory(stateDirectory, shutdown) is { } repaired)
            {
                error.WriteLine($"sundown: warning: {repaired}");
            }

            // Everything that can be refused is checked before the lock, the journal or any guest;
            // at shutdown nothing is refused, and what would have been is a fault.
            SundownConfig config;
            if (shutdown)
            {
                config = ConfigFile.LoadOrFallBack(parseResult.GetValue(GlobalOptions.Config), stateDirectory, out var configFault);
                faults.AddRange(configFault is null ? [] : [configFault]);
            }
            else
            {
                config = GlobalOptions.LoadConfig(parseResult, keepLastGood: true);
            }

            TimeSpan? chosenBudget;
            try
            {
                chosenBudget = HostOptions.Budget(parseResult, budget, config);
            }
            catch (UsageException e) when (shutdown)
            {
                chosenBudget = config.Budget;
                string instead = config.Budget is { } b ? $"the config's budget ({Durations.Format(b)})" : "no overall deadline (the config has no budget)";
                // The message names --budget already.
                faults.Add(new Fault(FaultKinds.Config, null, $"{e.Message}; using {instead} instead, continuing"));
            }

            // With [ups]: the UPS read once, held to its timeout. On battery the budget is its runtime
            // less the margin (when that is shorter); unreadable, the configured budget and a fault,
            // interactive or at shutdown: never a refused stop. The run reads it again while stopping.
            var ups = HostOptions.OpenUps(config);
            // A rack's secondary at shutdown: a login on the UPS while this stop runs, as watch
            // holds one while it lives (stopped before this unit, watch has given its up by now,
            // its own stop done): the primary's upsmon waits for it before powering the UPS off.
            await using var login = shutdown && config.Ups is { Role: UpsRole.Secondary, Credentials: { } user } rack
                ? NutLogin.Hold(rack.Name, user, NutUps.DefaultTimeout, e => SayLogin(error, e))
                : null;
            PowerReading? power = null;
            if (ups is not null)
            {
                // No cancellation: the reading is bounded by itself (a few seconds), and the stop follows it.
                power = await PowerBudget.ReadAsync(ups, config.Ups!, chosenBudget, TimeProvider.System, CancellationToken.None);
                chosenBudget = power.Budget;
                if (power.Reading is null)
                {
                    faults.Add(new Fault(FaultKinds.Ups, ups.Name.ToString(), $"{power.Note}, continuing"));
                }
            }

            // A stop at shutdown may wait for the one under way (watch's) up to its budget before it
            // plans: the timer is kept from firing that long too.
            if (shutdown && chosenBudget is { } waitAtMost)
            {
                systemd?.AllowBeforePlan(waitAtMost + Core.Planning.Estimates.DestroyGrace + SystemdNotifier.BeforePlanLimit);
            }

            var request = new StopRequest(
                config,
                GlobalOptions.Uris(parseResult, connect, config),
                chosenBudget,
                parseResult.GetValue(only) is { Length: > 0 } names ? names : null,
                stateDirectory)
            {
                AtShutdown = shutdown,
                EarlierFaults = faults,
                Ups = ups,
            };

            using var interrupt = new Interruption();
            var output = parseResult.InvocationConfiguration.Output;
            bool asJson = parseResult.GetValue(json);
            var log = asJson ? error : output;
            using var progress = new StopConsole(log, TimeProvider.System, journal: LogPriority.GoesToJournal(log));
            IStopObserver observer = systemd is null ? progress : new CompositeStopObserver([progress, systemd]);
            // Said here, at err, before any guest: the run puts them in its report but does not print them.
            foreach (var fault in faults)
            {
                observer.Fault(fault);
            }

            if (power is not null)
            {
                // On stderr as plan says it, unless the log is stderr already (--json) or goes to the
                // journal (under systemd): the console says it there, once.
                if (!ReferenceEquals(log, error) && !LogPriority.GoesToJournal(log) && UpsLines.Stderr(power) is { } line)
                {
                    error.WriteLine(line);
                }

                if (power.Reading is not null && power.Note is { } note)
                {
                    observer.Notice(note);
                }
            }

            var opener = HostOptions.Opener(readOnly: false);
            StopResult result;
            int exitCode;
            if (!shutdown)
            {
                result = await StopRun.RunAsync(request, opener, TimeProvider.System, observer, interrupt.Token);
                exitCode = result.ExitCode;
            }
            else if (await RunAtShutdownAsync(request, opener, observer, interrupt.Token) is { } outcome)
            {
                (result, exitCode) = outcome;
            }
            else
            {
                return ExitCodes.Error;
            }

            progress.Finish(result);
            if (asJson)
            {
                RunJson.Write(output, result.Report);
            }

            return exitCode;
        });
        return command;
    }

    /// <summary>What the UPS login does, on stderr (the journal, at its priority, under systemd).</summary>
    private static void SayLogin(TextWriter error, WatchEvent e)
    {
        // From the login's own task: the console's stderr is synchronized.
        string line = $"sundown: {e.Message}";
        error.WriteLine(LogPriority.GoesToJournal(error) ? LogPriority.Prefix((int)e.Severity, line) : line);
    }

    /// <summary>
    /// The stop at shutdown, made to end with the guests stopped whatever goes wrong around them.
    /// The engine degrades by itself where it can (a journal in memory, a host reported and left);
    /// whatever still escapes it (a lock held by a hung process, a state directory that is refused,
    /// something unforeseen) is a fault at priority err, and the stop is run once more, with a
    /// journal in memory (its restore list kept in the guests) unless it was a host that failed, and what is left of the budget.
    /// The exit status is then at least 1, but only once the guests were dealt with.
    /// </summary>
    /// <returns>The result and the exit status; null when even the second run failed (it is logged).</returns>
    private static async Task<(StopResult Result, int ExitCode)?> RunAtShutdownAsync(
        StopRequest request, Func<string, IGuestHost> opener, IStopObserver observer, CancellationToken interrupt)
    {
        var began = TimeProvider.System.GetUtcNow();
        try
        {
            var result = await StopRun.RunAsync(request, opener, TimeProvider.System, observer, interrupt);
            return (result, result.ExitCode);
        }
        // A wrong invocation (an --only name on no host) is refused even at shutdown: it is explicit input.
        catch (Exception e) when (e is not (UsageException or ConfigException) && !interrupt.IsCancellationRequested)
        {
            // Not a new state directory (one under /tmp would not outlive the reboot): the journal
            // in memory, so that the restore list goes into the guests' own metadata.
            bool inMemory = e is not HostException;
            string where = inMemory ? "the journal in memory (the restore list kept in the guests' own libvirt metadata)" : "the same state directory";
            var elapsed = TimeProvider.System.GetUtcNow() - began;
            var left = request.Budget is { } budget ? budget - elapsed : (TimeSpan?)null;
            var fault = new Fault(
                e switch { HostException => FaultKinds.Host, JournalException or StateLockedException => FaultKinds.Journal, _ => FaultKinds.Internal },
                null,
                $"the stop failed: {e.Message} ({e.GetType().Name}); stopping the guests again with {where}, continuing");
            // Said now, at err, and in the second run's report (as the config's faults are).
            observer.Fault(fault);
            var retry = request with
            {
                JournalInMemory = inMemory,
                Budget = left is { } l && l < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left,
                EarlierFaults = [.. request.EarlierFaults, fault],
            };
            try
            {
                var result = await StopRun.RunAsync(retry, opener, TimeProvider.System, observer, interrupt);
                return (result, result.ExitCode == ExitCodes.Interrupted ? result.ExitCode : Math.Max(ExitCodes.Error, result.ExitCode));
            }
            catch (Exception again) when (again is not (UsageException or ConfigException))
            {
                observer.Fault(new Fault(FaultKinds.Internal, null, $"the stop failed again, giving up: {again.Message} ({again.GetType().Name})"));
                return null;
            }
        }
    }

    /// <summary>
    /// Refuses (interactively: exit 1) or repairs the state directory before the run; at shutdown
    /// a refusal is left to the run, which goes on without it.
    /// </summary>
    private static string? RepairStateDirectory(string stateDirectory, bool shutdown)
    {
        // One that is not there yet has nothing to repair; the run creates it 0700.
        if (!Directory.Exists(stateDirectory))
        {
            return null;
        }

        try
        {
            return StateDirectory.Secure(stateDirectory);
        }
        catch (Exception e) when (shutdown && e is not OutOfMemoryException)
        {
            return null;
        }
    }
}
