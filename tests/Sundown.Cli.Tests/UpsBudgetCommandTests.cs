using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sundown.Libvirt.Tests;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// <c>plan</c> and <c>stop</c> with <c>[ups]</c>, against a real upsd (tests/nut/nut.sh) and
/// libvirt's test driver: the budget is the runtime less the margin on battery, the config's on
/// line, and the config's with a warning (and for stop a "ups" fault) when upsd cannot be read.
/// </summary>
public sealed class UpsBudgetCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-config-").FullName;

    private string Config => Path.Combine(_configDir, "sundown.toml");

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_on_battery_at_runtime_R_and_margin_M_has_the_budget_R_less_M_and_says_so()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB DISCHRG", "battery.runtime=90");
        using var file = TestHostFile.Create(3);
        WriteConfig(server.Name, budget: "5m", margin: "30s");

        var result = Run("plan", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var plan = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(60, plan.GetProperty("budgetSeconds").GetDouble());
        var ups = plan.GetProperty("ups");
        Assert.Equal(server.Name, ups.GetProperty("name").GetString());
        Assert.Equal("OB DISCHRG", ups.GetProperty("status").GetString());
        Assert.Equal(90, ups.GetProperty("runtimeSeconds").GetDouble());
        Assert.Equal(30, ups.GetProperty("marginSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, ups.GetProperty("error").ValueKind);
        Assert.Contains("sundown: notice: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("on battery", result.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_on_line_has_the_configs_budget_and_its_text_shows_the_ups()
    {
        await using var server = await NutServer.StartAsync("ups.status=OL", "battery.runtime=600");
        using var file = TestHostFile.Create(3);
        WriteConfig(server.Name, budget: "5m", margin: "45s");

        var json = Run("plan", "-c", file.Uri, "--json");
        var text = Run("plan", "-c", file.Uri);

        Assert.True(json.ExitCode == 0, json.Error);
        var plan = JsonDocument.Parse(json.Output).RootElement;
        Assert.Equal(300, plan.GetProperty("budgetSeconds").GetDouble());
        Assert.Equal("OL", plan.GetProperty("ups").GetProperty("status").GetString());
        Assert.DoesNotContain("sundown:", json.Error, StringComparison.Ordinal);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains($"UPS {server.Name}: OL, runtime 600.0s, margin 45s; on line: the configured budget holds (5m).", text.Output, StringComparison.Ordinal);
        Assert.Contains("budget 5m", text.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_with_upsd_stopped_has_the_configs_budget_and_a_warning_and_does_not_fail()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=90");
        await server.StopAsync();
        using var file = TestHostFile.Create(3);
        WriteConfig(server.Name, budget: "5m", margin: "30s");

        var json = Run("plan", "-c", file.Uri, "--json");
        var text = Run("plan", "-c", file.Uri);

        Assert.True(json.ExitCode == 0, json.Error);
        var plan = JsonDocument.Parse(json.Output).RootElement;
        Assert.Equal(300, plan.GetProperty("budgetSeconds").GetDouble());
        var ups = plan.GetProperty("ups");
        Assert.Equal(JsonValueKind.Null, ups.GetProperty("status").ValueKind);
        Assert.Equal(JsonValueKind.Null, ups.GetProperty("runtimeSeconds").ValueKind);
        Assert.False(string.IsNullOrEmpty(ups.GetProperty("error").GetString()));
        Assert.Contains($"sundown: warning: the UPS {server.Name} could not be read (", json.Error, StringComparison.Ordinal);
        Assert.Contains("using the configured budget (5m)", json.Error, StringComparison.Ordinal);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains($"UPS {server.Name}: cannot be read (", text.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_without_ups_has_no_ups_object() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(2);
        File.WriteAllText(Config, "budget = \"5m\"\n");
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = Run("plan", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var plan = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(300, plan.GetProperty("budgetSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, plan.GetProperty("ups").ValueKind);
    });

    [Fact(Timeout = 120_000)]
    public async Task Stop_on_battery_runs_with_the_runtime_less_the_margin_and_its_report_says_so()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=100");
        using var file = TestHostFile.Create(4);
        WriteConfig(server.Name, budget: "10m", margin: "20s");

        var result = Run("stop", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(80, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        Assert.Empty(report.GetProperty("faults").EnumerateArray());
        Assert.Contains("notice: the UPS", result.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_with_upsd_stopped_runs_with_the_configs_budget_and_reports_a_ups_fault()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=100");
        await server.StopAsync();
        using var file = TestHostFile.Create(4);
        WriteConfig(server.Name, budget: "5m", margin: "20s");

        var result = Run("stop", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(300, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        var fault = Assert.Single(report.GetProperty("faults").EnumerateArray());
        Assert.Equal("ups", fault.GetProperty("kind").GetString());
        Assert.Equal(server.Name, fault.GetProperty("subject").GetString());
        Assert.Contains("fault (ups): ", result.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_at_shutdown_with_upsd_stopped_stops_every_guest_with_the_configs_budget()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=100");
        await server.StopAsync();
        using var file = TestHostFile.Create(6);
        WriteConfig(server.Name, budget: "5m", margin: "20s");

        var result = Run("stop", "--at-shutdown", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(300, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        Assert.Equal(["ups"], report.GetProperty("faults").EnumerateArray().Select(f => f.GetProperty("kind").GetString()));
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_at_shutdown_with_a_peer_that_accepts_and_never_answers_waits_for_it_only_its_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await silent.AcceptSocketAsync());
            }
        });
        using var file = TestHostFile.Create(6);
        WriteConfig($"sundown@127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", budget: "5m", margin: "20s");
        var clock = Stopwatch.StartNew();

        var result = await Task.Run(() => Run("stop", "--at-shutdown", "-c", file.Uri, "--json"));

        clock.Stop();
        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(300, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        var fault = Assert.Single(report.GetProperty("faults").EnumerateArray());
        Assert.Equal("ups", fault.GetProperty("kind").GetString());
        Assert.Contains("did not answer", fault.GetProperty("message").GetString(), StringComparison.Ordinal);
        // The reading's 3 s, not the budget: the test driver's guests go off at once.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the stop took {clock.Elapsed}");
        foreach (var socket in accepted.ToList())
        {
            socket.Dispose();
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_with_the_driver_stopped_has_the_configs_budget_and_says_what_upsd_answered()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=90");
        await server.StopDriverAsync();
        using var file = TestHostFile.Create(2);
        WriteConfig(server.Name, budget: "4m", margin: "30s");

        var result = Run("plan", "-c", file.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var plan = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(240, plan.GetProperty("budgetSeconds").GetDouble());
        Assert.Contains("DRIVER-NOT-CONNECTED", plan.GetProperty("ups").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("sundown: warning: ", result.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_at_shutdown_with_a_peer_that_answers_garbage_stops_every_guest_with_the_configs_budget()
    {
        using var garbage = new TcpListener(IPAddress.Loopback, 0);
        garbage.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await garbage.AcceptSocketAsync();
                // Whatever is asked, an answer that is not NUT's protocol (an HTTP server on the port, say).
                await socket.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n\0\xff\xfe"u8.ToArray());
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });
        using var file = TestHostFile.Create(6);
        WriteConfig($"sundown@127.0.0.1:{((IPEndPoint)garbage.LocalEndpoint).Port}", budget: "5m", margin: "20s");

        var result = await Task.Run(() => Run("stop", "--at-shutdown", "-c", file.Uri, "--json"));

        Assert.True(result.ExitCode == 0, result.Error);
        var report = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(300, report.GetProperty("budgetSeconds").GetDouble());
        AssertEveryGuestEndedSafely(report, file);
        var fault = Assert.Single(report.GetProperty("faults").EnumerateArray());
        Assert.Equal("ups", fault.GetProperty("kind").GetString());
        Assert.Contains("using the configured budget (5m)", fault.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_with_a_frozen_driver_runs_with_the_configs_budget_and_reports_the_stale_ups()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=100");
        using var file = TestHostFile.Create(4);
        WriteConfig(server.Name, budget: "5m", margin: "20s");
        // The driver frozen, not stopped: upsd serves its last data until MAXAGE (5 s), then DATA-STALE.
        string pid = File.ReadAllText(Path.Combine(server.Directory, "state", "dummy-ups-sundown.pid")).Trim();
        Assert.Equal(0, (await ProcessRunner.RunAsync("kill", ["-STOP", pid], timeout: TimeSpan.FromSeconds(10))).ExitCode);
        try
        {
            await UntilStaleAsync(server.Name);

            var result = Run("stop", "-c", file.Uri, "--json");

            Assert.True(result.ExitCode == 0, result.Error);
            var report = JsonDocument.Parse(result.Output).RootElement;
            Assert.Equal(300, report.GetProperty("budgetSeconds").GetDouble());
            AssertEveryGuestEndedSafely(report, file);
            var fault = Assert.Single(report.GetProperty("faults").EnumerateArray());
            Assert.Equal("ups", fault.GetProperty("kind").GetString());
            Assert.Contains("DATA-STALE", fault.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await ProcessRunner.RunAsync("kill", ["-CONT", pid], timeout: TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Waits (up to 20 s) until upsd says the frozen driver's data is stale.</summary>
    private static async Task UntilStaleAsync(string name)
    {
        var ups = new Sundown.Nut.NutUps(Sundown.Core.Ups.UpsName.TryParse(name, out _)!);
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(20); await Task.Delay(500))
        {
            try
            {
                await ups.ReadAsync(CancellationToken.None);
            }
            catch (Sundown.Core.Ups.UpsException e) when (e.Code == "DATA-STALE")
            {
                return;
            }
        }

        Assert.Fail("upsd never said DATA-STALE for the frozen driver");
    }

    private CliRunner.Result Run(params string[] args) =>
        CliRunner.Run([.. args, "--config", Config, "--state-dir", _stateDir]);

    private static void AssertEveryGuestEndedSafely(JsonElement report, TestHostFile file)
    {
        var guests = report.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(file.Guests.Count, guests.Count);
        Assert.All(guests, guest => Assert.Contains(guest.GetProperty("outcome").GetString(), new[] { "shutdown", "saved", "already-off" }));
        Assert.Contains(guests, guest => guest.GetProperty("outcome").GetString() == "shutdown");
    }

    private void WriteConfig(string ups, string budget, string margin)
    {
        File.WriteAllText(Config, $"budget = \"{budget}\"\n[defaults]\nstop = [\"acpi 20s\", \"destroy\"]\n\n[ups]\nname = \"{ups}\"\nmargin = \"{margin}\"\n");
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
