using System.CommandLine;
using Sundown.Cli.Systemd;
using Sundown.Core.Config;
using Sundown.Core.Ups;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown install</c>: writes <c>sundown.service</c> for this binary, config and state
/// directory, so that at host shutdown the guests are stopped while libvirt and their storage
/// are still there, and <c>sundown-watch.service</c> beside it; then reloads systemd and, with
/// --enable, enables sundown.service, and sundown-watch.service too when the config has [ups].
/// </summary>
/// <remarks>
/// The watch unit is always written, so that adding [ups] later needs only an enable, but
/// enabled only with [ups]: without one, <c>sundown watch</c> has nothing to follow and exits 2,
/// and an enabled unit would fail at every boot.
/// </remarks>
internal static class InstallCommand
{
    internal const string DefaultUnitDirectory = "/etc/systemd/system";

    /// <summary>Where libvirt-guests.service may be installed; sundown.service conflicts with it.</summary>
    private static readonly string[] s_libvirtGuestsUnits =
    [
        "/etc/systemd/system/libvirt-guests.service",
        "/usr/lib/systemd/system/libvirt-guests.service",
        "/lib/systemd/system/libvirt-guests.service",
    ];

    /// <summary>poweroff.target's and reboot.target's JobTimeoutSec=: the whole shutdown is forced after it.</summary>
    private static readonly TimeSpan s_shutdownJobTimeout = TimeSpan.FromMinutes(30);

    internal static Command Create()
    {
        var print = new Option<bool>("--print") { Description = "print the units to standard output and touch nothing" };
        var enable = new Option<bool>("--enable") { Description = "also enable them: `systemctl enable sundown.service`, and sundown-watch.service when the config has [ups]" };
        // For tests and packaging: a directory other than /etc/systemd/system, another systemctl.
        var unitDirectory = new Option<string>("--unit-dir")
        {
            Description = $"write the unit into DIR (default {DefaultUnitDirectory})",
            HelpName = "DIR",
            Hidden = true,
            DefaultValueFactory = _ => DefaultUnitDirectory,
        };
        var systemctl = new Option<string>("--systemctl")
        {
            Description = "the systemctl to run",
            HelpName = "PROGRAM",
            Hidden = true,
            DefaultValueFactory = _ => Systemctl.DefaultProgram,
        };
        var command = new Command("install", "Install the systemd units that stop the guests at host shutdown and restore them at boot (sundown.service), and follow the UPS (sundown-watch.service).")
        {
            print, enable, unitDirectory, systemctl,
        };
        command.SetAction(parseResult =>
        {
            var (unit, ups) = Describe(parseResult, keepLastGood: !parseResult.GetValue(print));
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string text = unit.Render();
            string watchText = unit.RenderWatch();
            if (parseResult.GetValue(print))
            {
                output.Write(text);
                output.WriteLine();
                output.Write(watchText);
                return ExitCodes.Ok;
            }

            string path = Path.Combine(parseResult.GetValue(unitDirectory)!, UnitFile.Name);
            string watchPath = Path.Combine(parseResult.GetValue(unitDirectory)!, UnitFile.WatchName);
            // Both checked before either is written: a refusal leaves the directory as it was.
            CheckReplaceable(path);
            CheckReplaceable(watchPath);
            if (!Write(path, text, error) || !Write(watchPath, watchText, error))
            {
                return ExitCodes.Error;
            }

            output.WriteLine($"Wrote {path}: at shutdown `sundown stop` gets {Durations.Format(unit.StopBudget)}, systemd waits {Durations.Format(unit.StopTimeout)} (TimeoutStopSec).");
            output.WriteLine(ups is { } u
                ? $"Wrote {watchPath}: `sundown watch` follows the UPS {u.Name} and begins the guests' stop when its runtime less the margin ({Durations.Format(u.Margin)}) comes near the plan's worst case."
                : $"Wrote {watchPath}: it is not enabled, since the config has no [ups] (watch would have nothing to follow); add [ups] and run `sundown install --enable` again.");
            Notes(unit, output);
            return Activate(new Systemctl(parseResult.GetValue(systemctl)!), parseResult.GetValue(enable), ups is not null, output, error);
        });
        return command;
    }

    /// <summary>The unit for this binary, the --config given (if any), the state directory and the config's budget.</summary>
    /// <param name="keepLastGood">Keep the config as the last good one, for the unit's stop should it break later.</param>
    private static (UnitFile Unit, UpsConfig? Ups) Describe(ParseResult parseResult, bool keepLastGood)
    {
        string binary = Environment.ProcessPath ?? throw new UsageException("cannot tell where the sundown binary is");
        if (Path.GetFileNameWithoutExtension(binary) == "dotnet")
        {
            throw new UsageException($"run `sundown install` from the sundown binary itself, not through {binary}");
        }

        // Loading it refuses a bad or unsafe file now rather than at the next shutdown.
        var config = GlobalOptions.LoadConfig(parseResult, keepLastGood);
        string? configPath = parseResult.GetValue(GlobalOptions.Config) is { } given ? Path.GetFullPath(given) : null;
        string stateDirectory = Path.GetFullPath(parseResult.GetValue(GlobalOptions.StateDirectory)!);
        return (new UnitFile(binary, configPath, stateDirectory, config.Budget), config.Ups);
    }

    /// <summary>Refuses (exit 2) to replace a unit that sundown install did not write.</summary>
    private static void CheckReplaceable(string path)
    {
        string? existing;
        try
        {
            existing = File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Write says so, with the reason.
            return;
        }

        if (existing is not null && !UnitFile.IsGenerated(existing))
        {
            throw new UsageException(
                $"{path} exists and was not written by `sundown install` (its first line is not \"{UnitFile.Marker} …\"); " +
                "refusing to overwrite it. Move it away, or put your changes in a drop-in, and run `sundown install` again.");
        }
    }

    /// <summary>Writes the unit; false (with a message) when it cannot.</summary>
    private static bool Write(string path, string text, TextWriter error)
    {
        if (!Directory.Exists(Path.GetDirectoryName(path)))
        {
            error.WriteLine($"sundown: cannot write {path}: there is no directory {Path.GetDirectoryName(path)}");
            return false;
        }

        try
        {
            // Written beside and renamed over, so systemd never reads half a unit.
            string temporary = path + ".sundown-new";
            File.WriteAllText(temporary, text);
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"sundown: cannot write {path}: {e.Message}{(e is UnauthorizedAccessException ? " (sundown install needs root)" : "")}");
            return false;
        }
    }

    /// <summary>What the operator should know about this unit on this host.</summary>
    private static void Notes(UnitFile unit, TextWriter output)
    {
        if (unit.Budget is null)
        {
            output.WriteLine($"Note: the config has no budget; the unit gives the stop {Durations.Format(unit.StopBudget)}. Set `budget` in the config and run `sundown install` again to choose.");
        }

        if (unit.StopTimeout > s_shutdownJobTimeout)
        {
            output.WriteLine(
                $"Note: {Durations.Format(unit.StopTimeout)} is longer than the {Durations.Format(s_shutdownJobTimeout)} that poweroff.target and reboot.target " +
                "allow the whole shutdown (JobTimeoutSec=) before forcing it: keep the budget well under it.");
        }

        if (s_libvirtGuestsUnits.Any(File.Exists))
        {
            output.WriteLine(
                "Note: libvirt-guests.service is installed, and sundown.service conflicts with it: `systemctl disable libvirt-guests.service`. " +
                "While it is active, starting sundown.service stops it, and its stop action shuts down or suspends every guest at once; " +
                "disable it and reboot, so that it handles that one shutdown and sundown the ones after.");
        }
    }

    /// <summary>daemon-reload, then enable when asked. Without systemd as PID 1 there is nothing to reload, and enable works offline.</summary>
    private static int Activate(Systemctl systemctl, bool enable, bool watch, TextWriter output, TextWriter error)
    {
        bool booted = true;
        var (reloadStatus, reloadOutput) = systemctl.Run("daemon-reload");
        if (reloadStatus != 0)
        {
            if (!Systemctl.IsNotBooted(reloadOutput))
            {
                error.WriteLine($"sundown: `{systemctl.Program} daemon-reload` failed ({Status(reloadStatus)}); the unit is written but systemd has not loaded it.");
                WriteIndented(error, reloadOutput);
                return ExitCodes.Error;
            }

            // A chroot, a container or an image being built: there is nothing to reload, and the
            // unit takes effect at the first boot, as `systemctl enable` does offline. Not an error,
            // or building a host image with sundown in it would fail here.
            output.WriteLine("systemd is not running as PID 1 here (an image or a chroot?): nothing to reload; the unit takes effect at the next boot under systemd.");
            booted = false;
        }

        if (!enable)
        {
            // systemctl enable works offline too, so the hint holds either way.
            string units = watch ? $"{UnitFile.Name} {UnitFile.WatchName}" : UnitFile.Name;
            output.WriteLine($"{(booted ? "Reloaded systemd. " : "")}Enable {(watch ? "them" : "it")} with `sundown install --enable` or `systemctl enable {units}`.");
            return ExitCodes.Ok;
        }

        var (enableStatus, enableOutput) = systemctl.Run("enable", UnitFile.Name);
        if (enableStatus != 0)
        {
            error.WriteLine($"sundown: `{systemctl.Program} enable {UnitFile.Name}` failed ({Status(enableStatus)}).");
            WriteIndented(error, enableOutput);
            return ExitCodes.Error;
        }

        // Not started here: while libvirt-guests.service is active, starting this unit would stop
        // it, and its stop action would shut down or suspend the guests now.
        output.WriteLine($"Enabled {UnitFile.Name}: from the next boot on, it stops the guests at shutdown and restores them at boot.");
        if (booted)
        {
            output.WriteLine($"To cover the next shutdown already: `systemctl start {UnitFile.Name}` (only once libvirt-guests.service is not active).");
        }

        if (!watch)
        {
            return ExitCodes.Ok;
        }

        var (watchStatus, watchOutput) = systemctl.Run("enable", UnitFile.WatchName);
        if (watchStatus != 0)
        {
            error.WriteLine($"sundown: `{systemctl.Program} enable {UnitFile.WatchName}` failed ({Status(watchStatus)}).");
            WriteIndented(error, watchOutput);
            return ExitCodes.Error;
        }

        output.WriteLine($"Enabled {UnitFile.WatchName}: from the next boot on, it follows the UPS and stops the guests early enough for the battery.");
        if (booted)
        {
            output.WriteLine($"To follow the UPS already: `systemctl start {UnitFile.WatchName}`.");
        }

        return ExitCodes.Ok;
    }

    private static string Status(int exitCode) => exitCode < 0 ? "it did not run" : $"exit {exitCode}";

    /// <summary>systemctl's own words, under ours.</summary>
    private static void WriteIndented(TextWriter writer, string text)
    {
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            writer.WriteLine($"  {line}");
        }
    }
}
