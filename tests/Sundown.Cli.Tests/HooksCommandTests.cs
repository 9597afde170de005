using System.Text;
using System.Text.Json;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary>Hooks through the command line on libvirt's test driver: plan shows them and runs none, stop runs them with hostile names as data, report shows them.</summary>
public sealed class HooksCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-config-").FullName;
    private readonly string _out = Directory.CreateTempSubdirectory("sundown-hookout-").FullName;

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
        Directory.Delete(_out, recursive: true);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_shows_the_hooks_and_runs_none_stop_runs_them_with_every_name_as_data_and_report_shows_them() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(10);
        string script = Path.Combine(_configDir, "record-name");
        File.WriteAllText(script, "#!/bin/sh\nprintf %s \"$SUNDOWN_GUEST\" > \"$1/$SUNDOWN_UUID.$SUNDOWN_HOOK\"\necho \"said $SUNDOWN_HOOK\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string config = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(config, $"""
            [defaults]
            stop = ["acpi 5s", "destroy"]
            pre_stop = ["{script}", "{_out}"]
            post_stop = ["{script}", "{_out}"]
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var plan = CliRunner.Run("plan", "-c", file.Uri, "--budget", "30s", "--config", config, "--state-dir", _stateDir);
        Assert.True(plan.ExitCode == 0, plan.Error);
        Assert.Contains("Hooks (a stop runs them; plan does not):", plan.Output, StringComparison.Ordinal);
        Assert.Contains($"pre_stop {script} {_out}", plan.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_out));

        var stop = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(stop.ExitCode is 0 or 3, stop.Error);
        using var json = JsonDocument.Parse(stop.Output);
        var stopped = json.RootElement.GetProperty("guests").EnumerateArray()
            .Where(g => g.GetProperty("outcome").GetString() is "shutdown" or "saved" or "destroyed")
            .ToDictionary(g => g.GetProperty("uuid").GetString()!, g => g.GetProperty("name").GetString()!);
        Assert.Contains(stopped.Values, name => name.Contains("$(touch", StringComparison.Ordinal));
        foreach (var (uuid, name) in stopped)
        {
            Assert.Equal(Encoding.UTF8.GetBytes(name), File.ReadAllBytes(Path.Combine(_out, $"{uuid}.pre_stop")));
            Assert.Equal(Encoding.UTF8.GetBytes(name), File.ReadAllBytes(Path.Combine(_out, $"{uuid}.post_stop")));
        }

        Assert.Equal(2 * stopped.Count, json.RootElement.GetProperty("hooks").GetArrayLength());
        foreach (string dir in new[] { "/", Environment.CurrentDirectory, _out, _configDir, _stateDir })
        {
            Assert.False(File.Exists(Path.Combine(dir, "sundown-pwned")), $"sundown-pwned in {dir}");
        }

        var report = CliRunner.Run("report", "--state-dir", _stateDir);
        Assert.True(report.ExitCode == 0, report.Error);
        Assert.Contains("Hooks:", report.Output, StringComparison.Ordinal);
        Assert.Contains("| said post_stop", report.Output, StringComparison.Ordinal);
        var reportJson = CliRunner.Run("report", "--state-dir", _stateDir, "--json");
        using var again = JsonDocument.Parse(reportJson.Output);
        var hook = again.RootElement.GetProperty("hooks")[0];
        Assert.Equal("ok", hook.GetProperty("result").GetString());
        Assert.Equal([script, _out], hook.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
    });
}
