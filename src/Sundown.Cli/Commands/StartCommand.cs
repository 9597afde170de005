using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown start</c>: bring back what the stops recorded as running or paused (the restore list).
/// With --at-boot (sundown.service's ExecStart=), only at the first start of a boot
/// (<see cref="BootRestoreMarker"/>): starting the unit again later in the boot starts no guest.
/// </summary>
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
        // For tests: a directory other than /run/sundown for the boot's restore marker.
        var runDirectory = new Option<string>("--run-dir")
        {
            Description = $"where the marker of this boot's restore is kept (default {BootRestoreMarker.DefaultRunDirectory})",
            HelpName = "DIR",
            Hidden = true,
            DefaultValueFactory = _ => BootRestoreMarker.DefaultRunDirectory,
        };
        var command = new Command("start", "Bring back the guests on the restore list (what the stops found running or paused), tier by tier.") { connect, dryRun, json };
        command.SetAction(async (parseResult, cancellation) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            bool asJson = parseResult.GetValue(json);
            if (parseResult.GetValue(atBoot) && !parseResult.GetValue(dryRun))
            {
                string marker = BootRestoreMarker.PathIn(parseResult.GetValue(runDirectory)!);
                switch (BootRestoreMarker.Claim(parseResult.GetValue(runDirectory)!, out string? problem))
                {
                    case BootRestoreClaim.Already:
                        // Not the boot's first start (the package's install, a restart): the guests
                        // are as the operator left them. Said where the unit's log goes; exit 0 keeps the unit active.
                        (asJson ? parseResult.InvocationConfiguration.Error : output).WriteLine(
                            $"Nothing restored: this boot's restore was done already ({marker} is there); the unit is started and will stop the guests at shutdown.");
                        if (asJson)
                        {
                            var now = DateTimeOffset.UtcNow;
                            RunJson.Write(output, new RunReport(0, RunKind.Start.ToWord(), now, now, null, []));
                        }

                        return ExitCodes.Ok;
                    case BootRestoreClaim.Unwritable:
                        parseResult.InvocationConfiguration.Error.WriteLine($"sundown: warning: {problem}; restoring anyway, continuing (a start later in this boot would restore again)");
                        break;
                }
            }

            var config = parseResult.GetValue(atBoot) ? GlobalOptions.LoadConfigOrFallBack(parseResult) : GlobalOptions.LoadConfig(parseResult, keepLastGood: !parseResult.GetValue(dryRun));
            var request = new StartRequest(
                config,
                GlobalOptions.Uris(parseResult, connect, config),
                parseResult.GetValue(dryRun),
                parseResult.GetValue(GlobalOptions.StateDirectory)!);

            using var interrupt = new Interruption();
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
        command.Options.Add(runDirectory);
        return command;
    }
}
