using System.CommandLine;
using Sundown.Engine.Hosts;
using Sundown.Libvirt;

namespace Sundown.Cli.Commands;

/// <summary>The <c>-c URI</c> option every host-facing command takes, and opening what it names.</summary>
internal static class HostOptions
{
    internal const string DefaultUri = "qemu:///system";

    internal static Option<string[]> CreateConnect() => new("--connect", "-c")
    {
        Description = $"libvirt connection URI; repeat for several hosts (default {DefaultUri})",
        HelpName = "URI",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    internal static HostSet Open(string[]? uris, bool readOnly)
    {
        string[] chosen = uris is { Length: > 0 } ? uris : [DefaultUri];
        return HostSet.Open(chosen, uri => LibvirtHost.Open(uri, readOnly));
    }
}
