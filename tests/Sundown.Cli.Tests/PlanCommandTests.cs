using System.Text.Json;

namespace Sundown.Cli.Tests;

/// <summary><c>plan</c> around faults: it plans what it can reach and says what it could not.</summary>
public sealed class PlanCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-plan-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Plan_of_two_hosts_one_refusing_plans_the_other_and_exits_1() => await Task.Run(() =>
    {
        const string refusing = "qemu+tcp://127.0.0.1:1/system";

        var result = CliRunner.Run("plan", "-c", refusing, "-c", "test:///default", "--budget", "60s", "--state-dir", _stateDir, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var guest = json.RootElement.GetProperty("tiers").EnumerateArray().SelectMany(t => t.GetProperty("guests").EnumerateArray()).Single();
        Assert.Equal("test", guest.GetProperty("name").GetString());
        Assert.Contains(refusing, result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task A_guest_with_a_bad_policy_element_is_planned_with_the_configs_policy_and_a_warning() => await Task.Run(() =>
    {
        using var file = PolicyHostFile.Create();

        var result = CliRunner.Run("plan", "-c", file.Uri, "--budget", "60s", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var names = json.RootElement.GetProperty("tiers").EnumerateArray().SelectMany(t => t.GetProperty("guests").EnumerateArray()).Select(g => g.GetProperty("name").GetString());
        Assert.Equal(["fine", "typo"], names.Order(StringComparer.Ordinal));
        Assert.Contains("warning", result.Error, StringComparison.Ordinal);
        Assert.Contains("'typo'", result.Error, StringComparison.Ordinal);
        Assert.Contains("config's policy", result.Error, StringComparison.Ordinal);
    });
}
