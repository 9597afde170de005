using System.CommandLine;
using Sundown.Cli.Systemd;
using Sundown.Core.Config;
using Sundown.Core.Ups;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;

namespace Sundown.Cli.Commands;

/// <summary>
/// <c>sundown install</c>: writes <c>sundown.service</c> for this binary, config and state
/// directory, so that at host shutdown the guests are stopped while libvirt and their storage
/// are still there, and <c>sundown-watch.service</c> beside it; then reloads systemd and, with
/// --enable, enables both.
/// </summary>
/// <remarks>
/// The units are static (the stop reads its budget from the config when it runs), the same text
/// as the Debian package ships but for the binary, config and state directory: on a host where
/// the package's units are installed, install refuses and says to use systemctl and drop-ins,
/// so that no second, diverging sundown.service shadows the package's from /etc.
/// <c>--package DIR</c> writes the package's own units, for the package's build.
/// The watch unit is enabled with or without [ups]: it follows logind in any case, and begins the
/// guests' stop when a poweroff or reboot is requested, seconds before systemd stops sundown.service.
/// </remarks>
internal static class InstallCommand
{
    internal const string DefaultUnitDirectory = "/etc/systemd/system";

    /// <summary>poweroff.target's and reboot.target's JobTimeoutSec=: the whole shutdown is forced after it.</summary>
    private static readonly TimeSpan s_shutdownJobTimeout = TimeSpan.FromMinutes(30);

    internal static Command Create()
    {
        var print = new Option<bool>("--print") { Description = "print the units to standard output and touch nothing" };
        var enable = new Option<bool>("--enable") { Description = "also enable them: `systemctl enable sundown.service sundown-watch.service`" };
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
        // For the Debian package's build: the units as the package ships them, into DIR, and nothing else.
        var package = new Option<string>("--package")
        {
            Description = "write the units exactly as the Debian package ships them into DIR; reads no config, runs no systemctl",
            HelpName = "DIR",
            Hidden = true,
        };
        // For tests: where the package's units would be.
        var packageUnitDirectory = new Option<string>("--package-unit-dir")
        {
            Description = $"where the package's units are (default {UnitFile.PackageUnitDirectory})",
            HelpName = "DIR",
            Hidden = true,
            DefaultValueFactory = _ => UnitFile.PackageUnitDirectory,
        };
        // For tests: a directory other than /run/sundown for the boot's restore marker.
        var runDirectory = new Option<string>("--run-dir")
        {
            Description = $"where the marker of this boot's restore is kept (default {BootRestoreMarker.DefaultRunDirectory})",
            HelpName = "DIR",
            Hidden = true,
            DefaultValueFactory = _ => BootRestoreMarker.DefaultRunDirectory,
        };
        var command = new Command("install", "Install the systemd units that stop the guests at host shutdown and restore them at boot (sundown.service), and follow the UPS (sundown-watch.service).")
        {
            print, enable, unitDirectory, systemctl, package, packageUnitDirectory, runDirectory,
        };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (parseResult.GetValue(package) is { } packageDirectory)
            {
                return WritePackageUnits(packageDirectory, output, error);
            }

            // Before the config is read (and kept as the last good copy): a refusal touches nothing.
            if (!parseResult.GetValue(print))
            {
                CheckNotPackaged(parseResult.GetValue(packageUnitDirectory)!);
            }

            var (unit, ups, budget) = Describe(parseResult, keepLastGood: !parseResult.GetValue(print));
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

            output.WriteLine(budget is { } b
                ? $"Wrote {path}: at shutdown `sundown stop` reads the config's budget ({Durations.Format(b)} now) when it runs; a change to it needs no new unit."
                : $"Wrote {path}: at shutdown `sundown stop` reads the config when it runs (it has no budget now: the stop ends when its ladders do).");
            output.WriteLine($"Wrote {watchPath}: `sundown watch` begins the guests' stop the moment logind announces a poweroff or reboot (5 s before systemd stops {UnitFile.Name})" + (ups is { } u
                ? $", and follows the UPS {u.Name}: the stop begins when its runtime less the margin ({Durations.Format(u.Margin)}) comes near the plan's worst case."
                : "; with [ups] in the config it also follows the UPS."));
            Notes(budget, output);
            return Activate(new Systemctl(parseResult.GetValue(systemctl)!), parseResult.GetValue(enable), ups is not null, parseResult.GetValue(runDirectory)!, output, error);
        });
        return command;
    }

    /// <summary>Writes the package's two units into <paramref name="directory"/>: the package's build runs this.</summary>
    private static int WritePackageUnits(string directory, TextWriter output, TextWriter error)
    {
        var unit = UnitFile.Package;
        string path = Path.Combine(directory, UnitFile.Name);
        string watchPath = Path.Combine(directory, UnitFile.WatchName);
        if (!Write(path, unit.Render(), error) || !Write(watchPath, unit.RenderWatch(), error))
        {
            return ExitCodes.Error;
        }

        output.WriteLine($"Wrote {path} and {watchPath}, as the package ships them.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Refuses (exit 2) on a host where the Debian package's units are installed: a unit written to
    /// /etc/systemd/system would shadow the package's, and the two would diverge at the next upgrade
    /// without a word. The package's units read the config when they run; what differs goes in a drop-in.
    /// </summary>
    private static void CheckNotPackaged(string packageUnitDirectory)
    {
        string packaged = Path.Combine(packageUnitDirectory, UnitFile.Name);
        string? text;
        try
        {
            text = File.Exists(packaged) ? File.ReadAllText(packaged) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = null;
        }

        if (text is not null && UnitFile.IsPackaged(text))
        {
            throw new UsageException(
                $"{packaged} is the sundown package's unit: it reads the config when it runs, so there is nothing to install. " +
                $"Enable it with `systemctl enable {UnitFile.Name}` (and `{UnitFile.WatchName}` with [ups] in the config); " +
                $"put local changes (another config or state directory, more ordering) in a drop-in: `systemctl edit {UnitFile.Name}`. " +
                "`sundown install` writes units only for a sundown built from source.");
        }
    }

    /// <summary>The unit for this binary, the --config given (if any), the state directory and the config's budget.</summary>
    /// <param name="keepLastGood">Keep the config as the last good one, for the unit's stop should it break later.</param>
    private static (UnitFile Unit, UpsConfig? Ups, TimeSpan? Budget) Describe(ParseResult parseResult, bool keepLastGood)
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
        return (new UnitFile(binary, configPath, stateDirectory), config.Ups, config.Budget);
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

        if (existing is not null && UnitFile.IsPackaged(existing))
        {
            throw new UsageException(
                $"{path} is a copy of the sundown package's unit; refusing to overwrite it. Remove it (the package's own is in {UnitFile.PackageUnitDirectory}) " +
                $"and put local changes in a drop-in: `systemctl edit {Path.GetFileName(path)}`.");
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

    /// <summary>What the operator should know about this config under systemd.</summary>
    private static void Notes(TimeSpan? budget, TextWriter output)
    {
        if (budget is { } b && b + UnitFile.StopMargin > s_shutdownJobTimeout)
        {
            output.WriteLine(
                $"Note: the config's budget ({Durations.Format(b)}) and the stop's margin are longer than the {Durations.Format(s_shutdownJobTimeout)} that poweroff.target and reboot.target " +
                "allow the whole shutdown (JobTimeoutSec=) before forcing it: keep the budget well under it.");
        }
    }

    /// <summary>daemon-reload, then enable when asked. Without systemd as PID 1 there is nothing to reload, and enable works offline.</summary>
    /// <param name="ups">The config has [ups]: what the enabled watch is said to follow.</param>
    private static int Activate(Systemctl systemctl, bool enable, bool ups, string runDirectory, TextWriter output, TextWriter error)
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

        // This boot had no restore of Sundown's, and must have none: a start of the unit later in
        // it, by `--enable`'s hint or by hand after `systemctl enable`, starts no guest (as the
        // package's postinst does, the boot's restore marker is written first).
        bool marked = booted && MarkBootRestored(runDirectory, error);
        if (!enable)
        {
            // systemctl enable works offline too, so the hint holds either way.
            output.WriteLine($"{(booted ? "Reloaded systemd. " : "")}Enable them with `sundown install --enable` or `systemctl enable {UnitFile.Name} {UnitFile.WatchName}`.");
            return ExitCodes.Ok;
        }

        var (enableStatus, enableOutput) = systemctl.Run("enable", UnitFile.Name);
        if (enableStatus != 0)
        {
            error.WriteLine($"sundown: `{systemctl.Program} enable {UnitFile.Name}` failed ({Status(enableStatus)}).");
            WriteIndented(error, enableOutput);
            return ExitCodes.Error;
        }

        // Not started here: an install changes no running service.
        output.WriteLine($"Enabled {UnitFile.Name}: from the next boot on, it stops the guests at shutdown and restores them at boot.");
        if (marked)
        {
            output.WriteLine($"To cover the next shutdown already: `systemctl start {UnitFile.Name}` (it starts no guest: this boot's restore is done).");
        }

        var (watchStatus, watchOutput) = systemctl.Run("enable", UnitFile.WatchName);
        if (watchStatus != 0)
        {
            error.WriteLine($"sundown: `{systemctl.Program} enable {UnitFile.WatchName}` failed ({Status(watchStatus)}).");
            WriteIndented(error, watchOutput);
            return ExitCodes.Error;
        }

        output.WriteLine($"Enabled {UnitFile.WatchName}: from the next boot on, it begins the guests' stop when a shutdown is requested{(ups ? ", and follows the UPS" : "")}.");
        if (booted)
        {
            output.WriteLine($"To begin already: `systemctl start {UnitFile.WatchName}` (it starts no guest).");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Writes this boot's restore marker, so that starting the unit now restores nothing; false (said) when it cannot.</summary>
    private static bool MarkBootRestored(string runDirectory, TextWriter error)
    {
        if (BootRestoreMarker.Claim(runDirectory, out string? problem) == BootRestoreClaim.Unwritable)
        {
            error.WriteLine($"sundown: warning: {problem}: starting {UnitFile.Name} in this boot would bring back the guests of the last recorded stop; wait for the next boot");
            return false;
        }

        return true;
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
