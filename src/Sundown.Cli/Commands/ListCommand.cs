using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Commands;

/// <summary><c>sundown list</c>: every guest on the given hosts, as a table or as the JSON contract.</summary>
internal static class ListCommand
{
    internal static Command Create()
    {
        var connect = HostOptions.CreateConnect();
        var json = new Option<bool>("--json") { Description = "print the JSON contract instead of a table" };
        var command = new Command("list", "List the guests of one or more hosts.") { connect, json };
        command.SetAction(parseResult =>
        {
            var config = GlobalOptions.LoadConfig(parseResult);
            using var hosts = HostOptions.Open(GlobalOptions.Uris(parseResult, connect, config), readOnly: true);
            var guests = hosts.ListGuests();
            var output = parseResult.InvocationConfiguration.Output;
            // What could be listed is printed; a host that did not answer is said on stderr, exit 1.
            bool someMissing = UnreachableHosts.Write(hosts, parseResult.InvocationConfiguration.Error);
            if (parseResult.GetValue(json))
            {
                GuestJson.Write(output, guests);
            }
            else
            {
                GuestTable.Write(output, guests, showHost: hosts.Hosts.Count > 1);
            }

            return someMissing ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }
}
