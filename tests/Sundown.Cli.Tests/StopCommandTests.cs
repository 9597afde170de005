using System.Text.Json;
using Sundown.Libvirt;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary><c>plan</c> and <c>stop</c> through the command line, on libvirt's test driver.</summary>
public sealed class StopCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-config-").FullName;

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Stop_json_reports_every_guest_per_the_contract_and_exits_0() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(10);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        // "hooks" is added after the contract's fields (what hooks the run ran), never in their place.
        Assert.Equal(["run", "kind", "startedAt", "finishedAt", "budgetSeconds", "guests", "faults", "hooks"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("stop", root.GetProperty("kind").GetString());
        Assert.Equal(30, root.GetProperty("budgetSeconds").GetDouble());
        var guests = root.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(10, guests.Count);
        Assert.All(guests, guest =>
        {
            Assert.Equal(["uri", "name", "uuid", "initialState", "outcome", "seconds", "steps"], guest.EnumerateObject().Select(p => p.Name));
            string state = guest.GetProperty("initialState").GetString()!;
            string outcome = guest.GetProperty("outcome").GetString()!;
            Assert.Equal(state == "shutoff" ? "already-off" : "shutdown", outcome);
            foreach (var step in guest.GetProperty("steps").EnumerateArray())
            {
                Assert.Equal(["action", "startedAt", "endedAt", "result", "error"], step.EnumerateObject().Select(p => p.Name));
                Assert.EndsWith("Z", step.GetProperty("startedAt").GetString(), StringComparison.Ordinal);
                Assert.Equal("ok", step.GetProperty("result").GetString());
            }
        });
        Assert.Contains("Stopping 6 guests", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Plan_json_shows_tiers_in_stop_order_with_deadlines_and_touches_nothing() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(20);
        string config = WriteConfig("""
            [defaults]
            stop = ["acpi 20s"]

            [[guest]]
            match = "guest-0001[0-5]"
            order = 10
            """);

        var result = CliRunner.Run("plan", "-c", file.Uri, "--budget", "60s", "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var tiers = json.RootElement.GetProperty("tiers").EnumerateArray().ToList();
        Assert.Equal([10, 0], tiers.Select(t => t.GetProperty("order").GetInt32()));
        Assert.Equal(60, tiers[1].GetProperty("deadlineSeconds").GetDouble());
        Assert.Equal(39, tiers[0].GetProperty("deadlineSeconds").GetDouble());
        Assert.Equal(["guest-00010", "guest-00011", "guest-00013", "guest-00015"], tiers[0].GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(8, json.RootElement.GetProperty("alreadyOff").GetArrayLength());
        using var host = LibvirtHost.Open(file.Uri, readOnly: true);
        Assert.Empty(Directory.GetFiles(_stateDir));
    });

    [Theory(Timeout = 60_000)]
    [InlineData("budget = \"soon\"", "budget: 'soon' is not a duration")]
    [InlineData("[defaults]\nstop = [\"acpi 2m\", \"reboot\"]", "'reboot' is not a step")]
    public async Task A_bad_config_exits_2_with_its_position_and_touches_nothing(string toml, string problem) => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        string config = WriteConfig(toml);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--config", config, "--state-dir", _stateDir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{config}:", result.Error, StringComparison.Ordinal);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_stateDir));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_config_writable_by_others_is_refused() => await Task.Run(() =>
    {
        string config = WriteConfig("budget = \"5m\"");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        var result = CliRunner.Run("plan", "-c", "test:///default", "--config", config, "--state-dir", _stateDir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("writable by group or others", result.Error, StringComparison.Ordinal);
    });

    [Theory(Timeout = 60_000)]
    [InlineData("--budget", "5 minutes", "--budget: '5 minutes' is not a duration")]
    [InlineData("--only", "no such guest", "no guest named 'no such guest'")]
    public async Task Bad_flags_exit_2_and_leave_every_guest_running(string flag, string value, string problem) => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);

        var result = CliRunner.Run("stop", "-c", file.Uri, flag, value, "--state-dir", _stateDir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was touched", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Only_stops_the_named_guests() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(10);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--only", "guest-00008", "--only", "it's \"quoted\"", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(
            ["guest-00008", "it's \"quoted\""],
            json.RootElement.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_second_stop_while_one_runs_is_refused_with_a_clear_message() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(3);
        using var held = Sundown.Engine.Journaling.StateLock.Acquire(_stateDir);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("another sundown", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_others_may_write_is_repaired_with_a_warning_and_the_stop_goes_on() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(3);
        File.SetUnixFileMode(_stateDir, (UnixFileMode)0b111_111_111);
        string config = WriteConfig("budget = \"30s\"");

        var result = CliRunner.Run("stop", "-c", file.Uri, "--config", config, "--state-dir", _stateDir);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"sundown: warning: the state directory {_stateDir} was writable by group or others (mode 0777); removed their write permission (chmod go-w), continuing", result.Error, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(_stateDir));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_that_is_a_symlink_is_refused_by_a_plain_stop() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(3);
        string link = Path.Combine(_configDir, "state-link");
        Directory.CreateSymbolicLink(link, _stateDir);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--state-dir", link);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the state directory {link} is a symbolic link; refusing it", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_stateDir));
    });

    private string WriteConfig(string toml)
    {
        string path = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}
