using System.CommandLine;
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

    internal static SundownConfig LoadConfig(ParseResult parseResult) => ConfigFile.Load(parseResult.GetValue(Config));

    /// <summary>The hosts: -c options when given, else the config's <c>connect</c>.</summary>
    internal static IReadOnlyList<string> Uris(ParseResult parseResult, Option<string[]> connect, SundownConfig config) =>
        parseResult.GetValue(connect) is { Length: > 0 } given ? given : config.Connect;
}
