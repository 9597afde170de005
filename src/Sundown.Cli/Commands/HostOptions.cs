using System.CommandLine;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Ups;
using Sundown.Engine.Hosts;
using Sundown.Libvirt;
using Sundown.Nut;

namespace Sundown.Cli.Commands;

/// <summary>The <c>-c URI</c> option every host-facing command takes, and opening what it names.</summary>
internal static class HostOptions
{
    internal static Option<string[]> CreateConnect() => new("--connect", "-c")
    {
        Description = $"libvirt connection URI; repeat for several hosts (default: the config's connect, else {SundownConfig.DefaultUri})",
        HelpName = "URI",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    internal static Func<string, IGuestHost> Opener(bool readOnly) => uri => LibvirtHost.Open(uri, readOnly);

    internal static HostSet Open(IReadOnlyList<string> uris, bool readOnly) => HostSet.Open(uris, Opener(readOnly));

    /// <summary>The config's <c>[ups]</c> as upsd serves it; null without one.</summary>
    internal static IUps? OpenUps(SundownConfig config) => config.Ups is { } ups ? new NutUps(ups.Name) : null;

    internal static Option<string> CreateBudget() => new("--budget")
    {
        Description = "the time the whole stop may take, e.g. 90s, 5m (default: the config's budget)",
        HelpName = "DUR",
    };

    /// <summary>--budget when given, else the config's.</summary>
    internal static TimeSpan? Budget(ParseResult parseResult, Option<string> option, SundownConfig config)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            return config.Budget;
        }

        var budget = Durations.TryParse(text, out string? error) ?? throw new UsageException($"--budget: {error}");
        return budget > TimeSpan.Zero ? budget : throw new UsageException("--budget: it must be more than zero");
    }
}
