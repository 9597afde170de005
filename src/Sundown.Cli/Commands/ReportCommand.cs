using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Commands;

/// <summary><c>sundown report</c>: what a past stop or start did, as a timeline, JSON or an SVG picture.</summary>
internal static class ReportCommand
{
    internal static Command Create()
    {
        var run = new Argument<long?>("RUN") { Description = "the run's number (default: the last run)", Arity = ArgumentArity.ZeroOrOne };
        var last = new Option<bool>("--last") { Description = "the last run (the default)" };
        var json = new Option<bool>("--json") { Description = "print the run's report as JSON (what stop --json printed)" };
        var svg = new Option<string?>("--svg") { Description = "also write the timeline as a self-contained SVG file", HelpName = "FILE" };
        var list = new Option<bool>("--list") { Description = "list past runs" };
        var command = new Command("report", "Show what a past stop or start did: which guest held it up, and what was done to each.") { run, last, json, svg, list };
        command.SetAction(parseResult =>
        {
            string stateDir = parseResult.GetValue(GlobalOptions.StateDirectory)!;
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(list))
            {
                RunList.Write(output, RunHistory.List(stateDir));
                return ExitCodes.Ok;
            }

            long? id = parseResult.GetValue(run);
            if (id is not null && parseResult.GetValue(last))
            {
                throw new UsageException("give a run number or --last, not both");
            }

            var report = RunHistory.Load(stateDir, id)
                ?? throw new UsageException(id is null ? $"no run is recorded in {stateDir}" : $"no run {id} in {stateDir} (see sundown report --list)");
            if (parseResult.GetValue(svg) is { } file)
            {
                File.WriteAllText(file, TimelineSvg.Render(report));
            }

            if (parseResult.GetValue(json))
            {
                RunJson.Write(output, report);
            }
            else
            {
                RunTimeline.Write(output, report, colour: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
