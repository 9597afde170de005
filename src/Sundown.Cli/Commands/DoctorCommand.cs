using System.CommandLine;
using Sundown.Cli.Rendering;
using Sundown.Core.Config;
using Sundown.Engine.Config;
using Sundown.Engine.Doctor;
using Sundown.Libvirt;
using Sundown.Nut;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown doctor</c>: audits the machine and every guest for what would go wrong at shutdown.
/// Exit 0 when nothing is wrong (information allowed), 1 with warnings only, 2 with errors.
/// </summary>
internal static class DoctorCommand
{
    internal static Command Create()
    {
        var connect = HostOptions.CreateConnect();
        var json = new Option<bool>("--json") { Description = "print the findings as JSON" };
        // Tests point the file checks (/etc, systemd's directories, the save directory) at a directory of their own.
        var root = new Option<string>("--root")
        {
            Description = "read the machine's files under DIR instead of /",
            HelpName = "DIR",
            Hidden = true,
            DefaultValueFactory = _ => DoctorPaths.Host.Root,
        };
        var command = new Command("doctor", "Audit the host and its guests for what would go wrong at shutdown.") { connect, json, root };
        command.SetAction(parseResult =>
        {
            var request = new DoctorRequest(
                parseResult.GetValue(GlobalOptions.Config),
                parseResult.GetValue(connect) ?? [],
                new DoctorPaths(parseResult.GetValue(root)!),
                parseResult.GetValue(GlobalOptions.StateDirectory)!,
                Environment.ProcessPath)
            {
                LibvirtVersion = LibvirtHost.LibraryVersion,
                CheckUpsLogin = config => config.Ups is { Credentials: { } user } ups
                    ? new NutUps(ups.Name).CheckLoginAsync(user, CancellationToken.None)
                    : Task.FromResult<string?>(null),
            };
            var report = DoctorRun.Examine(request, HostOptions.Opener(readOnly: true), HostOptions.OpenUps);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(json))
            {
                DoctorJson.Write(output, report);
            }
            else
            {
                DoctorList.Write(output, report);
            }

            // DoctorRun reads the config for itself and reports a bad one; this is only for the note.
            if (TryLoadConfig(request.ConfigPath) is { } config)
            {
                GlobalOptions.WriteMetadataNote(config, parseResult.GetValue(json) ? parseResult.InvocationConfiguration.Error : output);
            }

            return report.ExitCode;
        });
        return command;
    }

    private static SundownConfig? TryLoadConfig(string? configPath)
    {
        try
        {
            return ConfigFile.Load(configPath);
        }
        catch (ConfigException)
        {
            return null;
        }
    }
}
