using System.Text.Json;

namespace Sundown.Cli.Tests;

/// <summary><c>stop</c> around faults, through the command line: it degrades, never refuses.</summary>
public sealed class StopFaultsCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-stopfaults-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Of_two_hosts_one_refusing_the_others_guests_are_stopped_and_the_exit_is_4() => await Task.Run(() =>
    {
        const string refusing = "qemu+tcp://127.0.0.1:1/system";

        var result = CliRunner.Run("stop", "-c", refusing, "-c", "test:///default", "--budget", "30s", "--state-dir", _stateDir, "--json");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var guest = Assert.Single(json.RootElement.GetProperty("guests").EnumerateArray());
        Assert.Equal(("test", "shutdown"), (guest.GetProperty("name").GetString(), guest.GetProperty("outcome").GetString()));
        var fault = Assert.Single(json.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal(("host", refusing), (fault.GetProperty("kind").GetString(), fault.GetProperty("subject").GetString()));
        Assert.Contains(refusing, result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_guest_with_a_bad_policy_element_is_stopped_with_the_others_and_warned_about() => await Task.Run(() =>
    {
        using var file = PolicyHostFile.Create();

        var result = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.All(json.RootElement.GetProperty("guests").EnumerateArray(), g => Assert.Equal("shutdown", g.GetProperty("outcome").GetString()));
        var fault = Assert.Single(json.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal(("metadata", "typo"), (fault.GetProperty("kind").GetString(), fault.GetProperty("subject").GetString()));
        Assert.Contains("'typo'", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_that_is_a_file_still_stops_every_guest_and_prints_the_report() => await Task.Run(() =>
    {
        string notADirectory = Path.Combine(_stateDir, "file");
        File.WriteAllText(notADirectory, "");

        var result = CliRunner.Run("stop", "-c", "test:///default", "--budget", "30s", "--state-dir", notADirectory, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("shutdown", Assert.Single(json.RootElement.GetProperty("guests").EnumerateArray()).GetProperty("outcome").GetString());
        Assert.Contains(json.RootElement.GetProperty("faults").EnumerateArray(), f => f.GetProperty("kind").GetString() == "journal");
        Assert.Contains("in memory", result.Error, StringComparison.Ordinal);
    });
}
