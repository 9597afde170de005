using Sundown.Cli.Systemd;

namespace Sundown.Cli.Tests;

/// <summary><c>sundown install</c> against a scratch unit directory and a fake systemctl that records its calls.</summary>
public sealed class InstallCommandTests : IDisposable
{
    private const string NotBooted = "System has not been booted with systemd as init system (PID 1). Can't operate.";

    private readonly string _directory = Directory.CreateTempSubdirectory("sundown-install-").FullName;
    private readonly string _unitDirectory;
    private readonly string _unitPath;
    private readonly string _config;

    // Not /var/lib/sundown: install keeps the config's last good copy in the state directory.
    private readonly string _stateDir;

    public InstallCommandTests()
    {
        _unitDirectory = Directory.CreateDirectory(Path.Combine(_directory, "units")).FullName;
        _unitPath = Path.Combine(_unitDirectory, UnitFile.Name);
        _config = Path.Combine(_directory, "sundown.toml");
        _stateDir = Path.Combine(_directory, "state");
        File.WriteAllText(_config, "budget = \"5m\"\n");
        File.SetUnixFileMode(_config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Calls => Path.Combine(_directory, "systemctl.calls");

    [Fact(Timeout = 60_000)]
    public async Task Install_writes_the_unit_reloads_systemd_and_enables_it() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");

        var result = Install(systemctl, "--enable");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["daemon-reload", $"enable {UnitFile.Name}", $"enable {UnitFile.WatchName}"], File.ReadAllLines(Calls));
        string unit = File.ReadAllText(_unitPath);
        Assert.StartsWith(UnitFile.Marker, unit, StringComparison.Ordinal);
        Assert.Contains("TimeoutStopSec=120\n", unit, StringComparison.Ordinal);
        Assert.Contains($" stop --at-shutdown --config {_config} ", unit, StringComparison.Ordinal);
        Assert.Contains("reads the config's budget (5m now) when it runs", result.Output, StringComparison.Ordinal);
        string watch = File.ReadAllText(Path.Combine(_unitDirectory, UnitFile.WatchName));
        Assert.Equal($"{unit}\n{watch}", CliRunner.Run("install", "--print", "--config", _config, "--state-dir", _stateDir).Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(_unitPath));
        Assert.Contains("Enabled sundown.service", result.Output, StringComparison.Ordinal);
        // Starting the unit now, as the output suggests, must start no guest: this boot's restore is marked done.
        Assert.True(File.Exists(Path.Combine(RunDirectory, Sundown.Engine.Starting.BootRestoreMarker.FileName)));
    });

    [Fact(Timeout = 60_000)]
    public async Task Without_enable_install_marks_this_boots_restore_done_too() => await Task.Run(() =>
    {
        // `systemctl enable --now sundown.service` by hand after it must start no guest either.
        string systemctl = FakeSystemctl("exit 0");

        var result = Install(systemctl);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["daemon-reload"], File.ReadAllLines(Calls));
        Assert.True(File.Exists(Path.Combine(RunDirectory, Sundown.Engine.Starting.BootRestoreMarker.FileName)));
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_refuses_to_overwrite_a_unit_it_did_not_write() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        const string Foreign = "[Unit]\nDescription=someone else's sundown\n\n[Service]\nExecStop=/usr/local/bin/my-shutdown\n";
        File.WriteAllText(_unitPath, Foreign);

        var result = Install(systemctl, "--enable");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("was not written by `sundown install`", result.Error, StringComparison.Ordinal);
        Assert.Equal(Foreign, File.ReadAllText(_unitPath));
        Assert.False(File.Exists(Calls));
        Assert.Equal([UnitFile.Name], Directory.GetFiles(_unitDirectory).Select(Path.GetFileName));
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_replaces_a_unit_it_wrote_before() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        File.WriteAllText(_unitPath, $"{UnitFile.Marker} for /old/sundown, budget 1m.\n[Service]\nTimeoutStopSec=90\n");

        var result = Install(systemctl);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("TimeoutStopSec=120\n", File.ReadAllText(_unitPath), StringComparison.Ordinal);
        Assert.Equal(["daemon-reload"], File.ReadAllLines(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task Print_writes_the_unit_to_standard_output_and_touches_nothing() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");

        var result = Install(systemctl, "--print", "--enable");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(UnitFile.Marker, result.Output, StringComparison.Ordinal);
        Assert.Contains("ExecStop=", result.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_unitDirectory));
        Assert.False(File.Exists(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task Without_systemd_as_pid_1_the_unit_is_written_and_enabled_offline() => await Task.Run(() =>
    {
        // What systemctl does in a container, a chroot or an image build: daemon-reload fails,
        // enable works on the files. The unit takes effect at the first boot: a success.
        string systemctl = FakeSystemctl($"""
            if [ "$1" = daemon-reload ]; then
              echo "{NotBooted}" >&2
              echo "Failed to connect to bus: Host is down" >&2
              exit 1
            fi
            exit 0
            """);

        var result = Install(systemctl, "--enable");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("systemd is not running as PID 1", result.Output, StringComparison.Ordinal);
        Assert.Contains("Enabled sundown.service", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("systemctl start", result.Output, StringComparison.Ordinal);
        // An image being built: its first boot's start must restore, so no marker (it would be on the build host's /run anyway).
        Assert.False(Directory.Exists(RunDirectory));
        Assert.True(File.Exists(_unitPath));
        Assert.Equal(["daemon-reload", $"enable {UnitFile.Name}", $"enable {UnitFile.WatchName}"], File.ReadAllLines(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task Without_systemd_as_pid_1_and_without_enable_the_unit_is_written_and_how_to_enable_it_is_said() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl($"""
            echo "{NotBooted}" >&2
            exit 1
            """);

        var result = Install(systemctl);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("systemd is not running as PID 1", result.Output, StringComparison.Ordinal);
        Assert.Contains("Enable them with `sundown install --enable`", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Reloaded systemd", result.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(_unitPath));
        Assert.Equal(["daemon-reload"], File.ReadAllLines(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_failing_daemon_reload_is_reported_and_nothing_is_enabled() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("""
            echo "Access denied" >&2
            exit 4
            """);

        var result = Install(systemctl, "--enable");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("daemon-reload` failed (exit 4)", result.Error, StringComparison.Ordinal);
        Assert.Contains("Access denied", result.Error, StringComparison.Ordinal);
        Assert.Equal(["daemon-reload"], File.ReadAllLines(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_bad_config_is_refused_before_anything_is_written() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        File.WriteAllText(_config, "budget = \"soon\"\n");

        var result = Install(systemctl);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'soon' is not a duration", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_unitDirectory));
        Assert.False(File.Exists(Calls));
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_keeps_the_config_as_the_last_good_copy_for_the_units_stop_and_print_keeps_none() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        string copy = Path.Combine(_stateDir, Sundown.Engine.Config.LastGoodConfig.FileName);

        var printed = CliRunner.Run("install", "--print", "--config", _config, "--state-dir", _stateDir);
        bool keptByPrint = File.Exists(copy);
        var installed = Install(systemctl);

        Assert.True(printed.ExitCode == 0 && installed.ExitCode == 0, printed.Error + installed.Error);
        Assert.False(keptByPrint);
        Assert.Equal($"# sundown: the last good copy of {_config}\nbudget = \"5m\"\n", File.ReadAllText(copy));
    });

    [Fact(Timeout = 60_000)]
    public async Task With_ups_in_the_config_install_writes_and_enables_the_watch_unit_too() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        File.WriteAllText(_config, "budget = \"5m\"\n\n[ups]\nname = \"myups@localhost:3493\"\n");

        var result = Install(systemctl, "--enable");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["daemon-reload", $"enable {UnitFile.Name}", $"enable {UnitFile.WatchName}"], File.ReadAllLines(Calls));
        string watch = File.ReadAllText(Path.Combine(_unitDirectory, UnitFile.WatchName));
        Assert.StartsWith(UnitFile.Marker, watch, StringComparison.Ordinal);
        Assert.Contains($" watch --config {_config} --state-dir {_stateDir}\n", watch, StringComparison.Ordinal);
        Assert.Contains("Enabled sundown-watch.service", result.Output, StringComparison.Ordinal);
        Assert.Contains("follows the UPS myups@localhost:3493", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Without_ups_in_the_config_the_watch_unit_is_enabled_too_since_it_follows_logind() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");

        var result = Install(systemctl, "--enable");

        Assert.True(result.ExitCode == 0, result.Error);
        string watch = File.ReadAllText(Path.Combine(_unitDirectory, UnitFile.WatchName));
        Assert.Contains("After=dbus.service dbus.socket\n", watch, StringComparison.Ordinal);
        Assert.Equal(["daemon-reload", $"enable {UnitFile.Name}", $"enable {UnitFile.WatchName}"], File.ReadAllLines(Calls));
        Assert.Contains("the moment logind announces a poweroff or reboot", result.Output, StringComparison.Ordinal);
        Assert.Contains("begins the guests' stop when a shutdown is requested.", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("follows the UPS myups", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_refuses_to_overwrite_a_watch_unit_it_did_not_write_and_writes_neither()
    {
        string systemctl = FakeSystemctl("exit 0");
        const string Foreign = "[Service]\nExecStart=/usr/local/bin/my-ups-script\n";
        string watchPath = Path.Combine(_unitDirectory, UnitFile.WatchName);
        await File.WriteAllTextAsync(watchPath, Foreign);

        var result = await Task.Run(() => Install(systemctl, "--enable"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{watchPath} exists and was not written by `sundown install`", result.Error, StringComparison.Ordinal);
        Assert.Equal(Foreign, await File.ReadAllTextAsync(watchPath));
        Assert.False(File.Exists(_unitPath));
        Assert.False(File.Exists(Calls));
    }

    [Fact(Timeout = 60_000)]
    public async Task Print_shows_both_units() => await Task.Run(() =>
    {
        var result = CliRunner.Run("install", "--print", "--config", _config, "--state-dir", _stateDir);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("ExecStop=", result.Output, StringComparison.Ordinal);
        Assert.Contains($"\n{UnitFile.Marker}", result.Output, StringComparison.Ordinal);
        Assert.Contains(" watch --config ", result.Output, StringComparison.Ordinal);
        Assert.Contains("After=sundown.service\n", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_package_writes_the_two_units_as_the_package_ships_them_and_nothing_else() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        string package = Directory.CreateDirectory(Path.Combine(_directory, "package")).FullName;
        // A config that would be refused: --package must not read it.
        File.WriteAllText(_config, "budget = \"soon\"\n");

        var result = CliRunner.Run("install", "--package", package, "--systemctl", systemctl, "--config", _config, "--state-dir", _stateDir, "--unit-dir", _unitDirectory);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal([UnitFile.WatchName, UnitFile.Name], Directory.GetFiles(package).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(UnitFile.Package.Render(), File.ReadAllText(Path.Combine(package, UnitFile.Name)));
        Assert.Equal(UnitFile.Package.RenderWatch(), File.ReadAllText(Path.Combine(package, UnitFile.WatchName)));
        Assert.StartsWith(UnitFile.PackageMarker, File.ReadAllText(Path.Combine(package, UnitFile.Name)), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(package, UnitFile.Name)));
        Assert.False(File.Exists(Calls));
        Assert.Empty(Directory.GetFileSystemEntries(_unitDirectory));
        Assert.False(Directory.Exists(_stateDir));
    });

    [Fact(Timeout = 60_000)]
    public async Task On_a_host_with_the_packages_units_install_refuses_and_says_to_use_systemctl_and_a_drop_in() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        File.WriteAllText(Path.Combine(PackageUnitDirectory, UnitFile.Name), UnitFile.Package.Render());

        var result = Install(systemctl, "--enable");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is the sundown package's unit", result.Error, StringComparison.Ordinal);
        Assert.Contains("systemctl enable sundown.service", result.Error, StringComparison.Ordinal);
        Assert.Contains("systemctl edit sundown.service", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_unitDirectory));
        Assert.False(File.Exists(Calls));
        Assert.False(Directory.Exists(_stateDir));   // not even the config's last good copy
        Assert.Equal(0, CliRunner.Run("install", "--print", "--package-unit-dir", PackageUnitDirectory, "--config", _config, "--state-dir", _stateDir).ExitCode);
    });

    [Fact(Timeout = 60_000)]
    public async Task Install_refuses_to_overwrite_a_copy_of_the_packages_unit_in_etc() => await Task.Run(() =>
    {
        string systemctl = FakeSystemctl("exit 0");
        File.WriteAllText(_unitPath, UnitFile.Package.Render());

        var result = Install(systemctl);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a copy of the sundown package's unit", result.Error, StringComparison.Ordinal);
        Assert.Equal(UnitFile.Package.Render(), File.ReadAllText(_unitPath));
    });

    private string RunDirectory => Path.Combine(_directory, "run");

    private string PackageUnitDirectory => Directory.CreateDirectory(Path.Combine(_directory, "usr-lib-units")).FullName;

    private CliRunner.Result Install(string systemctl, params string[] flags) =>
        CliRunner.Run(["install", "--unit-dir", _unitDirectory, "--package-unit-dir", PackageUnitDirectory, "--run-dir", RunDirectory, "--systemctl", systemctl, "--config", _config, "--state-dir", _stateDir, .. flags]);

    /// <summary>A systemctl that appends its arguments to <see cref="Calls"/>, then runs <paramref name="body"/>.</summary>
    private string FakeSystemctl(string body)
    {
        string path = Path.Combine(_directory, "systemctl");
        File.WriteAllText(path, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{Calls}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
