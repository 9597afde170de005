using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary>
/// <c>sundown stop</c> and <c>sundown start</c> on real QEMU guests with per-guest and per-run
/// hooks: each hook's environment, a name a shell would run reaching the hook as data, a hanging
/// hook killed while its guest is still stopped in time, and <c>report</c> showing their output.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class HooksOnFleetTests : IAsyncLifetime
{
    private const string Pwned = "hooks $(touch PWNED)";
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-fleet-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-fleet-config-").FullName;
    private readonly string _out = Directory.CreateTempSubdirectory("sundown-fleet-hooks-").FullName;
    private Dictionary<string, Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        var guests = await Fleet.UpAsync(
            $"{Pwned}\tdelay=1",
            "hooks deaf\tignore_acpi");
        _guests = guests.ToDictionary(g => g.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
        Directory.Delete(_out, recursive: true);
    }

    [Fact(Timeout = 300_000)]
    public async Task Stop_and_start_run_every_hook_with_its_environment_a_hanging_one_is_killed_and_report_shows_them()
    {
        string script = Path.Combine(_configDir, "record-env");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho \"$SUNDOWN_HOOK of ${SUNDOWN_GUEST:-the run}\"\nexec /usr/bin/env -0 > \"$1/$SUNDOWN_HOOK.${SUNDOWN_UUID:-run}\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string config = Path.Combine(_configDir, "sundown.toml");
        await File.WriteAllTextAsync(config, $"""
            budget = "40s"
            [defaults]
            stop = ["acpi 20s", "destroy"]
            pre_stop = ["{script}", "{_out}"]
            post_stop = ["{script}", "{_out}"]
            post_start = ["{script}", "{_out}"]

            [[guest]]
            match = "hooks deaf"
            pre_stop = ["/bin/sleep", "600"]

            [hooks]
            pre_stop = ["{script}", "{_out}"]
            post_stop = ["{script}", "{_out}"]
            post_start = ["{script}", "{_out}"]
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var pwned = _guests[Pwned];
        var deaf = _guests["hooks deaf"];

        var begun = DateTimeOffset.UtcNow;
        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        var took = DateTimeOffset.UtcNow - begun;

        Assert.True(stop.ExitCode == 3, $"stop exit {stop.ExitCode}: {stop.Error}");
        Assert.InRange(took, TimeSpan.Zero, TimeSpan.FromSeconds(50));
        using (var report = JsonDocument.Parse(stop.Output))
        {
            var outcomes = report.RootElement.GetProperty("guests").EnumerateArray()
                .ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("outcome").GetString());
            Assert.Equal("shutdown", outcomes[Pwned]);
            Assert.Equal("destroyed", outcomes["hooks deaf"]);
            var hung = report.RootElement.GetProperty("hooks").EnumerateArray()
                .Single(h => h.GetProperty("name").GetString() == "hooks deaf" && h.GetProperty("kind").GetString() == "pre_stop");
            Assert.Equal("timeout", hung.GetProperty("result").GetString());
        }

        var pre = Environment("pre_stop", pwned.Uuid);
        Assert.Equal(Pwned, pre["SUNDOWN_GUEST"]);
        Assert.Equal(pwned.Uuid, pre["SUNDOWN_UUID"]);
        Assert.Equal(Fleet.Uri, pre["SUNDOWN_URI"]);
        Assert.False(pre.ContainsKey("SUNDOWN_OUTCOME"));
        Assert.True(DateTimeOffset.TryParse(pre["SUNDOWN_DEADLINE"], out _));
        Assert.Equal("shutdown", Environment("post_stop", pwned.Uuid)["SUNDOWN_OUTCOME"]);
        Assert.Equal("destroyed", Environment("post_stop", deaf.Uuid)["SUNDOWN_OUTCOME"]);
        Assert.Equal("shutdown=1 destroyed=1", Environment("post_stop", "run")["SUNDOWN_OUTCOME"]);
        Assert.Equal("stop", Environment("pre_stop", "run")["SUNDOWN_KIND"]);

        var start = await Fleet.SundownAsync("start", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(start.ExitCode == 0, $"start exit {start.ExitCode}: {start.Error}");
        Assert.Equal("started", Environment("post_start", pwned.Uuid)["SUNDOWN_OUTCOME"]);
        Assert.Equal(Pwned, Environment("post_start", pwned.Uuid)["SUNDOWN_GUEST"]);
        Assert.Equal("started=2", Environment("post_start", "run")["SUNDOWN_OUTCOME"]);

        // Nowhere a shell could have run the name: the hooks' working directory, the test's, the state, the output.
        foreach (string dir in new[] { "/", System.Environment.CurrentDirectory, _stateDir, _out, _configDir })
        {
            Assert.False(File.Exists(Path.Combine(dir, "PWNED")), $"PWNED in {dir}");
        }

        var stopReport = await Fleet.SundownAsync("report", "1", "--state-dir", _stateDir);
        Assert.Equal(0, stopReport.ExitCode);
        Assert.Contains("| pre_stop of " + Pwned, stopReport.Output, StringComparison.Ordinal);
        Assert.Contains("pre_stop   hooks deaf: /bin/sleep 600: timeout", stopReport.Output, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Environment(string hook, string uuid) =>
        File.ReadAllText(Path.Combine(_out, $"{hook}.{uuid}"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);
}
