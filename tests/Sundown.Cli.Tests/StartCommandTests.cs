using System.Text.Json;

namespace Sundown.Cli.Tests;

/// <summary><c>start</c> through the command line, on libvirt's test driver.</summary>
public sealed class StartCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-start-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Start_json_with_nothing_to_restore_prints_a_run_object_with_no_guests() => await Task.Run(() =>
    {
        var result = CliRunner.Run("start", "-c", "test:///default", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("start", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("guests").GetArrayLength());
        Assert.Contains("Nothing to restore", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_with_a_host_that_refuses_names_it_and_exits_4() => await Task.Run(() =>
    {
        const string refusing = "qemu+tcp://127.0.0.1:1/system";

        var result = CliRunner.Run("start", "-c", refusing, "-c", "test:///default", "--state-dir", _stateDir, "--json");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var fault = Assert.Single(json.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal("host", fault.GetProperty("kind").GetString());
        Assert.Equal(refusing, fault.GetProperty("subject").GetString());
        Assert.Contains(refusing, result.Error, StringComparison.Ordinal);
    });
}
