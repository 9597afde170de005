using System.Text.Json;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary>
/// <c>stop --at-shutdown</c>, what the unit's ExecStop= runs: what a plain stop refuses (a bad
/// config, a bad --budget, a state directory held by another process) degrades, and the guests
/// of the test driver's host are stopped all the same. And <c>start --at-boot</c>, its ExecStart=,
/// which falls back to the same config.
/// </summary>
public sealed class StopAtShutdownTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-config-").FullName;

    private string Config => Path.Combine(_configDir, "sundown.toml");

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_config_that_no_longer_parses_falls_back_to_the_last_good_copy_and_every_guest_is_stopped() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(8);
        WriteConfig("budget = \"42s\"\n[defaults]\nstop = [\"acpi 20s\", \"destroy\"]");
        // Each connection to the file's host is a fresh copy of it: this stop leaves the next one every guest.
        var plain = CliRunner.Run("stop", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir, "--only", file.Guests[0].Name);
        Assert.True(plain.ExitCode == 0, plain.Error);
        WriteConfig("budget = \"42s\"\n[defaults]\nstop = [\"acpi soon\", \"destroy\"]");

        var result = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(42, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        Assert.Contains($"fault (config): {Config}: {Config}:3:8: ", result.Error, StringComparison.Ordinal);
        Assert.Contains($"; using the last config that parsed ({Path.Combine(_stateDir, "last-good.toml")}, kept ", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_bad_config_with_no_good_copy_falls_back_to_the_defaults_and_every_guest_is_stopped() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(8);
        WriteConfig("budgte = \"5m\"");

        var result = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--budget", "30s", "--config", Config, "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(30, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        Assert.Contains("unknown key 'budgte'", result.Error, StringComparison.Ordinal);
        Assert.Contains("; using the built-in defaults instead (there is no last good copy in ", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task An_unsafe_config_is_used_by_no_stop_the_plain_one_refuses_and_the_one_at_shutdown_falls_back() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        WriteConfig("budget = \"33s\"");
        File.SetUnixFileMode(Config, File.GetUnixFileMode(Config) | UnixFileMode.OtherWrite);

        var plain = CliRunner.Run("stop", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);
        var atShutdown = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir, "--json");

        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("writable by group or others", plain.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was touched", plain.Error, StringComparison.Ordinal);
        Assert.True(atShutdown.ExitCode == 0, atShutdown.Error);
        var report = JsonDocument.Parse(atShutdown.Output).RootElement;
        Assert.Equal(JsonValueKind.Null, report.GetProperty("budgetSeconds").ValueKind);
        AssertEveryGuestEndedSafely(report, file);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_budget_that_does_not_parse_falls_back_to_the_configs() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        WriteConfig("budget = \"44s\"");

        var result = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--budget", "5 minutes", "--config", Config, "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(44, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        Assert.Contains("fault (config): --budget: '5 minutes' is not a duration", result.Error, StringComparison.Ordinal);
        Assert.Contains("; using the config's budget (44s) instead, continuing", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_held_by_another_process_is_logged_at_err_and_the_guests_are_stopped_anyway() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        using var held = Sundown.Engine.Journaling.StateLock.Acquire(_stateDir);

        var result = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--budget", "30s", "--state-dir", _stateDir, "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("fault (journal): the stop failed: another sundown", result.Error, StringComparison.Ordinal);
        // Again with the journal in memory: the restore list goes into the guests, not a /tmp that the reboot empties.
        Assert.Contains("stopping the guests again with the journal in memory", result.Error, StringComparison.Ordinal);
        var report = JsonDocument.Parse(result.Output).RootElement;
        AssertEveryGuestEndedSafely(report, file);
        Assert.Contains(report.GetProperty("faults").EnumerateArray(), f => f.GetProperty("kind").GetString() == "journal");
    });

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_that_is_a_symlink_does_not_keep_the_guests_from_being_stopped() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        string link = Path.Combine(_configDir, "state-link");
        Directory.CreateSymbolicLink(link, _stateDir);

        var result = CliRunner.Run("stop", "--at-shutdown", "-c", file.Uri, "--budget", "30s", "--state-dir", link, "--json");

        Assert.True(result.ExitCode is 0 or 1, result.Error);
        Assert.Contains($"the state directory {link} is a symbolic link", result.Error, StringComparison.Ordinal);
        AssertEveryGuestEndedSafely(JsonDocument.Parse(result.Output).RootElement, file);
        Assert.Empty(Directory.GetFileSystemEntries(_stateDir));
    });

    [Theory(Timeout = 60_000)]
    [InlineData("budget = \"soon\"")]
    [InlineData("trust_guest_metadata = \"no\"")]
    public async Task Without_the_flag_a_bad_config_is_still_refused_and_nothing_is_kept(string toml) => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        WriteConfig(toml);

        var result = CliRunner.Run("stop", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{Config}:1:", result.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was touched", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_stateDir));
    });

    [Fact(Timeout = 60_000)]
    public async Task Plan_and_list_keep_no_copy_a_plain_stop_does() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(3);
        WriteConfig("budget = \"44s\"");

        var plan = CliRunner.Run("plan", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);
        var list = CliRunner.Run("list", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);
        bool keptBefore = File.Exists(Path.Combine(_stateDir, Sundown.Engine.Config.LastGoodConfig.FileName));
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);

        Assert.True(plan.ExitCode == 0 && list.ExitCode == 0 && stop.ExitCode == 0, plan.Error + list.Error + stop.Error);
        Assert.False(keptBefore);
        Assert.StartsWith($"# sundown: the last good copy of {Config}\n", File.ReadAllText(Path.Combine(_stateDir, Sundown.Engine.Config.LastGoodConfig.FileName)), StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Plan_notes_that_guest_metadata_is_ignored_when_the_config_says_so() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(3);
        WriteConfig("trust_guest_metadata = false");

        var result = CliRunner.Run("plan", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("trust_guest_metadata = false: every guest's <sundown:policy> metadata is ignored", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_at_boot_falls_back_to_the_last_good_copy_and_a_plain_start_refuses() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        WriteConfig("budget = \"42s\"");
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);
        Assert.True(stop.ExitCode == 0, stop.Error);
        WriteConfig("budget = \"42s\"\nconnect = 3");

        var plain = CliRunner.Run("start", "-c", file.Uri, "--config", Config, "--state-dir", _stateDir);
        // Its own run directory: the boot's restore marker must not land in this machine's /run/sundown.
        var atBoot = CliRunner.Run("start", "--at-boot", "--run-dir", Path.Combine(_stateDir, "run"), "-c", file.Uri, "--config", Config, "--state-dir", _stateDir, "--json");

        Assert.Equal(2, plain.ExitCode);
        Assert.Contains($"{Config}:2:11: connect: expected a string or an array of strings", plain.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was touched", plain.Error, StringComparison.Ordinal);
        Assert.True(atBoot.ExitCode == 0, atBoot.Error);
        Assert.Contains($"sundown: fault (config): {Config}: {Config}:2:11: connect: expected a string or an array of strings; using the last config that parsed (", atBoot.Error, StringComparison.Ordinal);
        Assert.Equal("start", JsonDocument.Parse(atBoot.Output).RootElement.GetProperty("kind").GetString());
    });

    private static void AssertEveryGuestEndedSafely(JsonElement report, TestHostFile file)
    {
        var guests = report.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(file.Guests.Count, guests.Count);
        Assert.All(guests, guest => Assert.Contains(guest.GetProperty("outcome").GetString(), new[] { "shutdown", "saved", "already-off" }));
        Assert.Contains(guests, guest => guest.GetProperty("outcome").GetString() == "shutdown");
    }

    private void WriteConfig(string toml)
    {
        File.WriteAllText(Config, toml);
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
