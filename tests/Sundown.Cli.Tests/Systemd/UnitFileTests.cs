using Sundown.Cli.Systemd;
using Sundown.Testing;

namespace Sundown.Cli.Tests.Systemd;

/// <summary>The generated <c>sundown.service</c>: what systemd makes of it, and its ordering and timeouts.</summary>
public sealed class UnitFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sundown-unit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory(Timeout = 60_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Generated_unit_passes_systemd_analyze_verify(bool watch)
    {
        Requires.Program("systemd-analyze");
        // A directory name with what systemd's syntax treats specially: verify resolves the
        // executable, so a quoting mistake shows up as "not executable".
        string binary = FakeBinary("my bin %d $x ü");
        var unit = new UnitFile(binary, "/etc/sundown/my config $HOME %n.toml", "/var/lib/sun down");

        var problems = await VerifyAsync(unit, watch);

        Assert.Empty(problems);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_packages_units_pass_systemd_analyze_verify(bool watch)
    {
        // verify resolves /usr/bin/sundown, which a build machine does not have: the package's
        // text, with only the binary's path pointed at a stand-in.
        Requires.Program("systemd-analyze");
        string binary = FakeBinary("bin");
        string text = watch ? UnitFile.Package.RenderWatch() : UnitFile.Package.Render();
        Assert.Contains($"{UnitFile.PackageBinary} ", text, StringComparison.Ordinal);

        var problems = await VerifyTextAsync(text.Replace($"{UnitFile.PackageBinary} ", $"{binary} ", StringComparison.Ordinal), watch);

        Assert.Empty(problems);
    }

    [Fact(Timeout = 60_000)]
    public async Task Verify_catches_a_unit_whose_executable_is_missing()
    {
        // The check above must be able to fail: the same verify on a unit that cannot work.
        Requires.Program("systemd-analyze");
        var unit = new UnitFile(Path.Combine(_directory, "no such dir", "sundown"), null, "/var/lib/sundown");

        var problems = await VerifyAsync(unit);

        Assert.Contains(problems, line => line.Contains("is not executable", StringComparison.Ordinal));
    }

    [Fact]
    public void Unit_stops_before_libvirt_its_log_and_lock_daemons_network_storage_and_libvirt_guests_without_conflicting_with_it()
    {
        var unit = new UnitFile("/usr/local/bin/sundown", "/etc/sundown/sundown.toml", "/var/lib/sundown");

        var settings = Settings(unit.Render());

        Assert.Superset(
            new HashSet<string>
            {
                "libvirtd.service", "virtqemud.service", "libvirtd.socket", "virtqemud.socket", "virt-guest-shutdown.target",
                "virtlogd.service", "virtlockd.service", "virtlogd.socket", "virtlockd.socket", "virtlogd-admin.socket", "virtlockd-admin.socket",
                "network-online.target", "remote-fs.target", "iscsi.service", "iscsid.service", "open-iscsi.service",
                "libvirt-guests.service",
            },
            Values(settings, "After"));
        Assert.Superset(new HashSet<string> { "network-online.target", "virt-guest-shutdown.target" }, Values(settings, "Wants"));
        // Starting sundown.service must never stop libvirt-guests (its stop action stops every guest).
        Assert.Empty(Values(settings, "Conflicts"));
        Assert.Equal(["oneshot"], Values(settings, "Type"));
        Assert.Equal(["yes"], Values(settings, "RemainAfterExit"));
        Assert.Equal(["exec"], Values(settings, "NotifyAccess"));
        Assert.Equal(["multi-user.target"], Values(settings, "WantedBy"));
        Assert.Equal(["-/usr/local/bin/sundown start --at-boot --config /etc/sundown/sundown.toml --state-dir /var/lib/sundown"], settings["ExecStart"]);
        Assert.Equal(["/usr/local/bin/sundown stop --at-shutdown --config /etc/sundown/sundown.toml --state-dir /var/lib/sundown"], settings["ExecStop"]);
    }

    [Fact]
    public void Watch_unit_runs_watch_after_sundown_service_and_upsd_and_waits_for_its_stop_at_shutdown()
    {
        var unit = new UnitFile("/usr/local/bin/sundown", "/etc/sundown/sundown.toml", "/var/lib/sundown");

        var settings = Settings(unit.RenderWatch());

        Assert.Superset(
            new HashSet<string>
            {
                "sundown.service", "nut-server.service", "network-online.target",
                "libvirtd.service", "virtqemud.service", "libvirtd.socket", "virtqemud.socket", "virtlogd.service", "virtlogd.socket",
            },
            Values(settings, "After"));
        // Ordered after upsd here, never pulling it in: on a host whose upsd is elsewhere nut-server is off.
        Assert.Equal(["network-online.target"], Values(settings, "Wants"));
        Assert.Equal(["2"], Values(settings, "RestartPreventExitStatus"));
        Assert.Equal(["simple"], Values(settings, "Type"));
        Assert.Equal(["on-failure"], Values(settings, "Restart"));
        Assert.Equal(["multi-user.target"], Values(settings, "WantedBy"));
        Assert.Equal(["/usr/local/bin/sundown watch --config /etc/sundown/sundown.toml --state-dir /var/lib/sundown"], settings["ExecStart"]);
        // The same as sundown.service's: a stop of watch's may be running when systemd stops it.
        Assert.Equal(Settings(unit.Render())["TimeoutStopSec"], settings["TimeoutStopSec"]);
        Assert.Equal(["120"], settings["TimeoutStopSec"]);
        // watch is the main process: "main" gives it the socket to extend that timeout while its stop runs.
        Assert.Equal(["main"], settings["NotifyAccess"]);
        Assert.False(settings.ContainsKey("ExecStop"));
        Assert.True(UnitFile.IsGenerated(unit.RenderWatch()));
    }

    [Fact]
    public void The_first_line_marks_the_unit_as_generated_for_this_binary_and_config()
    {
        var unit = new UnitFile("/opt/sundown/sundown", "/etc/sundown/host.toml", "/var/lib/sundown");

        string first = unit.Render().Split('\n')[0];

        Assert.StartsWith(UnitFile.Marker, first, StringComparison.Ordinal);
        Assert.Contains("/opt/sundown/sundown", first, StringComparison.Ordinal);
        Assert.Contains("/etc/sundown/host.toml", first, StringComparison.Ordinal);
        Assert.True(UnitFile.IsGenerated(unit.Render()));
        Assert.False(UnitFile.IsGenerated("[Unit]\nDescription=mine\n"));
    }

    [Fact]
    public void The_units_are_static_no_budget_is_passed_and_the_stop_timeout_is_fixed()
    {
        var unit = new UnitFile("/usr/bin/sundown", null, "/var/lib/sundown");

        var settings = Settings(unit.Render());

        // The stop reads the budget from the config when it runs, and extends the timer to it.
        Assert.DoesNotContain("--budget", settings["ExecStop"].Single(), StringComparison.Ordinal);
        Assert.Equal(["120"], settings["TimeoutStopSec"]);
        Assert.Equal(["120"], Settings(unit.RenderWatch())["TimeoutStopSec"]);
        long start = long.Parse(settings["TimeoutStartSec"].Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(start, 1, 3600);
        Assert.DoesNotContain("budget", unit.Render().Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_packages_units_run_usr_bin_sundown_with_the_defaults_and_say_where_local_changes_go()
    {
        var service = Settings(UnitFile.Package.Render());
        var watch = Settings(UnitFile.Package.RenderWatch());

        Assert.Equal(["-/usr/bin/sundown start --at-boot"], service["ExecStart"]);
        Assert.Equal(["/usr/bin/sundown stop --at-shutdown"], service["ExecStop"]);
        Assert.Equal(["/usr/bin/sundown watch"], watch["ExecStart"]);
        string first = UnitFile.Package.Render().Split('\n')[0];
        Assert.StartsWith(UnitFile.PackageMarker, first, StringComparison.Ordinal);
        Assert.Contains("systemctl edit sundown.service", first, StringComparison.Ordinal);
        Assert.Contains("systemctl edit sundown-watch.service", UnitFile.Package.RenderWatch().Split('\n')[0], StringComparison.Ordinal);
        Assert.True(UnitFile.IsPackaged(UnitFile.Package.Render()));
        Assert.False(UnitFile.IsGenerated(UnitFile.Package.Render()));
        // The package also installs the man pages its units name; a build from source has none to name.
        Assert.Equal(["man:sundown(8) man:sundown.toml(5)"], service["Documentation"]);
        Assert.Equal(service["Documentation"], watch["Documentation"]);
        // The same unit but for the first lines and Documentation=: install from source writes what the package ships.
        var fromSource = Settings(new UnitFile("/usr/bin/sundown", null, null).Render());
        Assert.False(fromSource.ContainsKey("Documentation"));
        Assert.Equal(fromSource, service.Where(setting => setting.Key != "Documentation").ToDictionary());
    }

    [Fact]
    public void Without_a_config_given_the_unit_passes_none_so_an_absent_default_file_stays_the_defaults()
    {
        var unit = new UnitFile("/usr/bin/sundown", null, "/var/lib/sundown");

        var settings = Settings(unit.Render());

        Assert.DoesNotContain("--config", settings["ExecStart"].Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("--config", settings["ExecStop"].Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/var/lib/sundown", "/var/lib/sundown")]
    [InlineData("/var/lib/sun down", "\"/var/lib/sun down\"")]
    [InlineData("/srv/$HOME/100%", "/srv/$$HOME/100%%")]
    [InlineData("/srv/it's \"q\" \\ ;", "\"/srv/it's \\\"q\\\" \\\\ ;\"")]
    [InlineData("/srv/ünï", "\"/srv/ünï\"")]
    public void Arguments_are_quoted_as_systemd_reads_them(string path, string expected) =>
        Assert.Equal(expected, UnitFile.Argument(path));

    [Theory]
    [InlineData("/usr/bin/sundown", "/usr/bin/sundown")]
    [InlineData("/opt/my tools/100%/$x/sundown", "\"/opt/my tools/100%%/$x/sundown\"")]
    public void The_executable_doubles_percent_signs_but_not_dollars(string path, string expected) =>
        Assert.Equal(expected, UnitFile.ExecutablePath(path));

    [Theory]
    [InlineData("/opt/it's/sundown")]
    [InlineData("/opt/a\\b/sundown")]
    [InlineData("sundown")]
    [InlineData("/opt/new\nline/sundown")]
    public void An_executable_systemd_cannot_run_is_refused(string path) =>
        Assert.Throws<UsageException>(() => new UnitFile(path, null, "/var/lib/sundown").Render());

    [Fact]
    public void A_relative_or_control_character_path_is_refused() =>
        Assert.All(["var/lib/sundown", "/var/lib/sun\tdown"], path =>
            Assert.Throws<UsageException>(() => new UnitFile("/usr/bin/sundown", null, path).Render()));

    /// <summary>A copy of /bin/true named sundown in a directory of the given name.</summary>
    private string FakeBinary(string directoryName)
    {
        string directory = Path.Combine(_directory, directoryName);
        Directory.CreateDirectory(directory);
        string binary = Path.Combine(directory, "sundown");
        File.Copy("/bin/true", binary);
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return binary;
    }

    /// <summary>
    /// What <c>systemd-analyze verify</c> says about the unit. It also reports problems in
    /// other units it loads (libvirt's, say); only those about this one count. It exits 0 on
    /// settings it ignores ("Unknown key", "Failed to parse"), so every line about the unit is a problem.
    /// </summary>
    private Task<IReadOnlyList<string>> VerifyAsync(UnitFile unit, bool watch = false) =>
        VerifyTextAsync(watch ? unit.RenderWatch() : unit.Render(), watch);

    private async Task<IReadOnlyList<string>> VerifyTextAsync(string text, bool watch)
    {
        string name = watch ? UnitFile.WatchName : UnitFile.Name;
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);

        // --man=no: the package's man pages are not installed on this machine (PackageTests verifies with them, on a real host).
        var result = await ProcessRunner.RunAsync("systemd-analyze", ["verify", "--man=no", path], timeout: TimeSpan.FromSeconds(45));

        string all = result.Output + result.Error;
        TestContext.Current.TestOutputHelper?.WriteLine($"systemd-analyze verify exited {result.ExitCode}:\n{all}");
        var problems = all.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains(name, StringComparison.Ordinal) || line.Contains(path, StringComparison.Ordinal))
            .ToList();
        if (result.ExitCode != 0 && problems.Count == 0)
        {
            problems.Add($"exit {result.ExitCode}: {all}");
        }

        return problems;
    }

    private static Dictionary<string, List<string>> Settings(string unit)
    {
        var settings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string line in unit.Split('\n'))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || line.StartsWith('[') || equals <= 0)
            {
                continue;
            }

            string key = line[..equals];
            if (!settings.TryGetValue(key, out var values))
            {
                settings[key] = values = [];
            }

            values.Add(line[(equals + 1)..]);
        }

        return settings;
    }

    private static HashSet<string> Values(Dictionary<string, List<string>> settings, string key) =>
        settings.TryGetValue(key, out var values)
            ? values.SelectMany(value => value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal)
            : [];
}
