using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Power;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;

namespace Sundown.Cli.Commands;

/// <summary><c>sundown plan</c>: what a stop would do now, as a timeline; touches nothing.</summary>
internal static class PlanCommand
{
    internal static Command Create()
    {
        var connect = HostOptions.CreateConnect();
        var budget = HostOptions.CreateBudget();
        var json = new Option<bool>("--json") { Description = "print the plan as JSON" };
        var command = new Command("plan", "Show what a stop would do, step by step, against the budget (a dry run).") { connect, budget, json };
        command.SetAction(async (parseResult, cancellation) =>
        {
            var config = GlobalOptions.LoadConfig(parseResult);
            GlobalOptions.WriteMetadataNote(config, parseResult.GetValue(json) ? parseResult.InvocationConfiguration.Error : parseResult.InvocationConfiguration.Output);
            var configured = HostOptions.Budget(parseResult, budget, config);
            var chosenBudget = configured;
            var error = parseResult.InvocationConfiguration.Error;
            // With [ups]: the UPS read once, held to its timeout; unreadable, the configured budget and a warning, never a failed plan.
            PowerReading? power = null;
            if (HostOptions.OpenUps(config) is { } ups)
            {
                power = await PowerBudget.ReadAsync(ups, config.Ups!, configured, TimeProvider.System, cancellation);
                chosenBudget = power.Budget;
                if (UpsLines.Stderr(power) is { } line)
                {
                    error.WriteLine(line);
                }
            }

            using var hosts = HostOptions.Open(GlobalOptions.Uris(parseResult, connect, config), readOnly: true);
            bool someMissing = UnreachableHosts.Write(hosts, error);
            var plan = StopRun.Preview(
                hosts, config, chosenBudget, null, parseResult.GetValue(GlobalOptions.StateDirectory)!, warning => error.WriteLine($"sundown: warning: {warning}"));
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(json))
            {
                PlanJson.Write(output, plan, power);
            }
            else
            {
                PlanTimeline.Write(output, plan, power, configured);
            }

            // The plan of the hosts that answered; the others are named on stderr, exit 1.
            return someMissing ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }
}
