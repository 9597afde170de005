using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Commands;

/// <summary><c>sundown start</c>: bring back what the stops recorded as running or paused (the restore list).</summary>
internal static class StartCommand
{
    internal static Command Create()
    {
        var atBoot = new Option<bool>("--at-boot")
        {
            Description = "the start sundown.service runs at boot: a bad config falls back (to the last good one, else the defaults) instead of being refused",
        };
        var connect = HostOptions.CreateConnect();
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be started, and touch nothing" };
        var json = new Option<bool>("--json") { Description = "print the run's report as JSON" };
        var command = new Command("start", "Bring back the guests on the restore list (what the stops found running or paused), tier by tier.") { connect, dryRun, json };
        command.SetAction(async (parseResult, cancellation) =>
        {
            var config = parseResult.GetValue(atBoot) ? GlobalOptions.LoadConfigOrFallBack(parseResult) : GlobalOptions.LoadConfig(parseResult, keepLastGood: !parseResult.GetValue(dryRun));
            var request = new StartRequest(
                config,
                GlobalOptions.Uris(parseResult, connect, config),
                parseResult.GetValue(dryRun),
                parseResult.GetValue(GlobalOptions.StateDirectory)!);

            using var interrupt = new Interruption();
            var output = parseResult.InvocationConfiguration.Output;
            bool asJson = parseResult.GetValue(json);
            var log = new StartConsole(asJson ? parseResult.InvocationConfiguration.Error : output, parseResult.InvocationConfiguration.Error);

            var result = await StartRun.RunAsync(request, HostOptions.Opener(readOnly: request.DryRun), TimeProvider.System, log.Progress, interrupt.Token, log.Fault);
            log.Finish(result, request.DryRun);
            // Nothing to restore is an object with no guests, as the contract says: a script always gets one.
            if (asJson)
            {
                RunJson.Write(output, result.Report);
            }

            return result.ExitCode;
        });
        command.Options.Add(atBoot);
        return command;
    }
}
