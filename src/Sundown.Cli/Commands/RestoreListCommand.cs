using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown restore-list [--json]</c>: what the next start brings back (every stop's entries
/// that no start has consumed); <c>--discard [-c URI]... [--only NAME]...</c> drops entries.
/// </summary>
internal static class RestoreListCommand
{
    internal static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the list as JSON" };
        var discard = new Option<bool>("--discard") { Description = "discard entries (all, or those of -c and --only) so that no start brings them back" };
        var connect = new Option<string[]>("--connect", "-c")
        {
            Description = "with --discard: only this host's entries (repeatable)",
            HelpName = "URI",
            AllowMultipleArgumentsPerToken = false,
        };
        var only = new Option<string[]>("--only")
        {
            Description = "with --discard: only this guest's entries (repeatable)",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("restore-list", "Show what the next start brings back, or discard entries of it.") { json, discard, connect, only };
        command.SetAction(parseResult =>
        {
            string stateDir = parseResult.GetValue(GlobalOptions.StateDirectory)!;
            var output = parseResult.InvocationConfiguration.Output;
            string[]? uris = parseResult.GetValue(connect) is { Length: > 0 } u ? u : null;
            string[]? names = parseResult.GetValue(only) is { Length: > 0 } n ? n : null;
            if (!parseResult.GetValue(discard))
            {
                if (uris is not null || names is not null)
                {
                    throw new UsageException("-c and --only go with --discard");
                }

                var entries = RestoreList.Load(stateDir);
                if (parseResult.GetValue(json))
                {
                    RestoreListTable.WriteJson(output, entries);
                }
                else
                {
                    RestoreListTable.Write(output, entries);
                }

                return ExitCodes.Ok;
            }

            var discarded = RestoreList.Discard(stateDir, uris, names, TimeProvider.System.GetUtcNow());
            if (names?.Except(discarded.Select(g => g.Name), StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(
                    $"sundown: not on the restore list: {string.Join(", ", missing.Select(name => $"'{TextTable.Printable(name)}'"))}");
            }

            output.WriteLine($"Discarded {discarded.Count} {(discarded.Count == 1 ? "entry" : "entries")}{(discarded.Count > 0 ? ": " + string.Join(", ", discarded.Select(g => TextTable.Printable(g.Name))) : "")}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
