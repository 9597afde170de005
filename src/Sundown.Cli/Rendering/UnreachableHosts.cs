using Sundown.Engine.Hosts;

namespace Sundown.Cli.Rendering;

/// <summary>The hosts a command could not reach, named on stderr while it goes on with the others.</summary>
internal static class UnreachableHosts
{
    /// <returns>True when some host did not answer (the command exits 1 after printing what it could).</returns>
    internal static bool Write(HostSet hosts, TextWriter error)
    {
        foreach (var host in hosts.Unreachable)
        {
            error.WriteLine($"sundown: {TextTable.Printable(host.Uri)}: {host.Message}; going on without it");
        }

        return hosts.Unreachable.Count > 0;
    }
}
