using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Hosts;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown restore-list [-c URI]... [--json]</c>: what the next start brings back (every stop's
/// entries that no start has consumed; with <c>-c</c>, also the restore marks kept in that host's
/// guests); <c>--discard [-c URI]... [--only NAME]...</c> drops entries so that no start brings them back.
/// </summary>
internal static class RestoreListCommand
{
    internal static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the list as JSON" };
        var discard = new Option<bool>("--discard") { Description = "discard entries (all, or those of -c and --only) so that no start brings them back" };
        var connect = new Option<string[]>("--connect", "-c")
        {
            Description = "this host's entries only, and the restore marks in its guests (kept there when a stop could not write its journal); repeatable",
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
        command.SetAction(async (parseResult, cancellation) =>
        {
            string stateDir = parseResult.GetValue(GlobalOptions.StateDirectory)!;
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string[]? uris = parseResult.GetValue(connect) is { Length: > 0 } u ? u : null;
            string[]? names = parseResult.GetValue(only) is { Length: > 0 } n ? n : null;
            bool discarding = parseResult.GetValue(discard);
            if (!discarding && names is not null)
            {
                throw new UsageException("--only goes with --discard");
            }

            // Marks can be read, and removed, only on hosts that are named.
            using var hosts = uris is null ? null : await HostSet.OpenAsync(uris, HostOptions.Opener(readOnly: !discarding), HostOpener.DefaultTimeout, TimeProvider.System);
            bool someMissing = hosts is not null && UnreachableHosts.Write(hosts, error);
            if (!discarding)
            {
                var entries = RestoreList.Load(stateDir).Where(e => uris is null || hosts!.Hosts.Any(h => h.Uri == e.Guest.Uri) || uris.Contains(e.Guest.Uri))
                    .Select(e => (e, "journal"))
                    .Concat(hosts is null ? [] : (await RestoreList.MarksAsync(hosts, TimeProvider.System)).Select(e => (e, "guest")))
                    .ToList();
                if (parseResult.GetValue(json))
                {
                    RestoreListTable.WriteJson(output, entries);
                }
                else
                {
                    RestoreListTable.Write(output, entries);
                }

                return someMissing ? ExitCodes.Error : ExitCodes.Ok;
            }

            var journalUris = hosts is null ? null : hosts.Hosts.Select(h => h.Uri).Concat(uris!).Distinct(StringComparer.Ordinal).ToList();
            var discarded = RestoreList.Discard(stateDir, journalUris, names, TimeProvider.System.GetUtcNow()).ToList();
            bool failed = someMissing;
            if (hosts is not null)
            {
                var (removed, notRemoved) = await RestoreList.DiscardMarksAsync(hosts, names, TimeProvider.System);
                discarded.AddRange(removed);
                foreach (var (guest, message) in notRemoved)
                {
                    error.WriteLine($"sundown: cannot remove the restore mark of '{TextTable.Printable(guest.Name)}': {message}");
                    failed = true;
                }
            }

            if (names?.Except(discarded.Select(g => g.Name), StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
            {
                error.WriteLine($"sundown: not on the restore list: {string.Join(", ", missing.Select(name => $"'{TextTable.Printable(name)}'"))}");
            }

            var shown = discarded.Select(g => TextTable.Printable(g.Name)).Distinct(StringComparer.Ordinal).ToList();
            output.WriteLine($"Discarded {discarded.Count} {(discarded.Count == 1 ? "entry" : "entries")}{(shown.Count > 0 ? ": " + string.Join(", ", shown) : "")}.");
            return failed ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }
}
