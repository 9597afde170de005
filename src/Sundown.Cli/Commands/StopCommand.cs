using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Cli.Systemd;
using Sundown.Engine.Stopping;

namespace Sundown.Cli.Commands;

/// <summary><c>sundown stop</c>: every guest to a safe state within the budget.</summary>
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
            // Everything that can be refused is checked before the lock, the journal or any guest.
            var config = GlobalOptions.LoadConfig(parseResult);
            var request = new StopRequest(
                config,
                GlobalOptions.Uris(parseResult, connect, config),
                HostOptions.Budget(parseResult, budget, config),
                parseResult.GetValue(only) is { Length: > 0 } names ? names : null,
                parseResult.GetValue(GlobalOptions.StateDirectory)!)
            {
                AtShutdown = parseResult.GetValue(atShutdown),
            };

            using var interrupt = new Interruption();
            var output = parseResult.InvocationConfiguration.Output;
            bool asJson = parseResult.GetValue(json);
            var log = asJson ? parseResult.InvocationConfiguration.Error : output;
            using var progress = new StopConsole(log, TimeProvider.System, journal: LogPriority.GoesToJournal(log));
            // Under systemd (ExecStop= of sundown.service): keep its stop timer from firing while the plan runs.
            using var systemd = SystemdNotifier.FromEnvironment(TimeProvider.System, UnitFile.StopMargin);
            IStopObserver observer = systemd is null ? progress : new CompositeStopObserver([progress, systemd]);

            var result = await StopRun.RunAsync(request, HostOptions.Opener(readOnly: false), TimeProvider.System, observer, interrupt.Token);
            progress.Finish(result);
            if (asJson)
            {
                RunJson.Write(output, result.Report);
            }

            return result.ExitCode;
        });
        return command;
    }
}
