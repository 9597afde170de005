using System.CommandLine;
using Sundown.Cli.Systemd;
using Sundown.Core.Config;
using Sundown.Engine.Config;

namespace Sundown.Cli.Commands;

/// <summary>The options every command takes: where the config and the state live.</summary>
internal static class GlobalOptions
{
    internal const string DefaultStateDirectory = "/var/lib/sundown";

    internal static readonly Option<string?> Config = new("--config")
    {
        Description = $"config file (default {ConfigFile.DefaultPath}; absent = defaults)",
        HelpName = "FILE",
        Recursive = true,
    };

    internal static readonly Option<string> StateDirectory = new("--state-dir")
    {
        Description = "where the journal and the lock live",
        HelpName = "DIR",
        Recursive = true,
        DefaultValueFactory = _ => DefaultStateDirectory,
    };

    /// <summary>The config; refused (exit 2, nothing touched) when bad.</summary>
    /// <param name="keepLastGood">
    /// Also keep a good file as the state directory's last good config, for a stop at shutdown
    /// that finds it broken: the commands that write the state directory anyway (stop, start,
    /// install) do; the read-only ones (list, plan, doctor) leave it alone.
    /// </param>
    internal static SundownConfig LoadConfig(ParseResult parseResult, bool keepLastGood = false) => keepLastGood
        ? ConfigFile.Load(parseResult.GetValue(Config), parseResult.GetValue(StateDirectory)!)
        : ConfigFile.Load(parseResult.GetValue(Config));

    /// <summary>
    /// The config for the unit's start at boot (<c>start --at-boot</c>), which never refuses: the
    /// file, else its last good copy, else the defaults; which one and why is said at priority err.
    /// (The stop at shutdown does the same, its fault going into the run's report too.)
    /// </summary>
    internal static SundownConfig LoadConfigOrFallBack(ParseResult parseResult)
    {
        var config = ConfigFile.LoadOrFallBack(parseResult.GetValue(Config), parseResult.GetValue(StateDirectory)!, out var fault);
        if (fault is not null)
        {
            var error = parseResult.InvocationConfiguration.Error;
            string line = $"sundown: fault ({fault.Kind}): {fault.Subject}: {fault.Message}";
            error.WriteLine(LogPriority.GoesToJournal(error) ? LogPriority.Prefix(LogPriority.Error, line) : line);
        }

        return config;
    }

    /// <summary>The hosts: -c options when given, else the config's <c>connect</c>.</summary>
    internal static IReadOnlyList<string> Uris(ParseResult parseResult, Option<string[]> connect, SundownConfig config) =>
        parseResult.GetValue(connect) is { Length: > 0 } given ? given : config.Connect;

    /// <summary>The note doctor and plan print when the config ignores every guest's own policy.</summary>
    internal static void WriteMetadataNote(SundownConfig config, TextWriter writer)
    {
        if (!config.TrustGuestMetadata)
        {
            writer.WriteLine("Note: trust_guest_metadata = false: every guest's <sundown:policy> metadata is ignored; the config alone decides.");
        }
    }
}
