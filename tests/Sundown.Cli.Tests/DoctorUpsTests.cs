using System.Text.Json;
using Sundown.Core.Model;
using Sundown.Libvirt.Tests;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// <c>sundown doctor</c> with <c>[ups]</c>, reading a real upsd (tests/nut/nut.sh) or one that
/// was stopped; the machine's files (upsmon.conf, sundown-watch.service's link) under --root.
/// </summary>
public sealed class DoctorUpsTests : IDisposable
{
    /// <summary>A machine with nothing wrong (see <see cref="DoctorMachine"/>); each test adds its problem.</summary>
    private readonly DoctorMachine _machine = new();

    public void Dispose() => _machine.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Doctor_reads_a_live_ups_on_line_and_finds_nothing()
    {
        await using var server = await NutServer.StartAsync("battery.runtime=1800", "battery.runtime.low=600");
        using var host = Guests();
        _machine.WriteConfig($"budget = \"5m\"\n[ups]\nname = \"{server.Name}\"\n");
        _machine.Write("etc/nut/upsmon.conf", $"MONITOR {server.Name} 1 monuser secret primary\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n");

        var result = await Task.Run(() => _machine.Doctor(host.Uri), TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal("Nothing wrong.", result.Output.Trim());
    }

    [Fact(Timeout = 120_000)]
    public async Task Doctor_on_a_rack_secondary_logs_in_as_its_user_says_when_upsd_refuses_it_and_when_others_may_read_its_password()
    {
        await using var server = await NutServer.StartAsync("battery.runtime=1800", "battery.runtime.low=600");
        using var host = Guests();
        _machine.Write("etc/nut/upsmon.conf", $"MONITOR {server.Name} 1 monuser secret secondary\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n");
        string Config(string password) => $"budget = \"5m\"\n[ups]\nname = \"{server.Name}\"\nrole = \"secondary\"\nuser = \"sundown\"\npassword = '{password}'\n";

        _machine.WriteConfig(Config("two \"words\""));
        var readable = await Task.Run(() => _machine.Doctor(host.Uri, "--json"), TestContext.Current.CancellationToken);
        // As the man page asks of a config with a password: others may not read it.
        File.SetUnixFileMode(_machine.Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var right = await Task.Run(() => _machine.Doctor(host.Uri), TestContext.Current.CancellationToken);
        _machine.WriteConfig(Config("hunter2"));
        File.SetUnixFileMode(_machine.Config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var wrong = await Task.Run(() => _machine.Doctor(host.Uri, "--json"), TestContext.Current.CancellationToken);

        using (var readableJson = JsonDocument.Parse(readable.Output))
        {
            var exposed = Assert.Single(Findings(readableJson));
            Assert.Equal(("warning", "ups-password-readable"), (exposed.GetProperty("severity").GetString(), exposed.GetProperty("code").GetString()));
            Assert.Contains($"chmod 0640 {Path.GetFullPath(_machine.Config)}", exposed.GetProperty("fix").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("words", exposed.GetProperty("problem").GetString(), StringComparison.Ordinal);
        }

        Assert.True(right.ExitCode == 0, right.Output + right.Error);
        Assert.Equal("Nothing wrong.", right.Output.Trim());
        using var json = JsonDocument.Parse(wrong.Output);
        var finding = Assert.Single(Findings(json));
        Assert.Equal(("error", "ups-login-refused"), (finding.GetProperty("severity").GetString(), finding.GetProperty("code").GetString()));
        Assert.Contains("ACCESS-DENIED", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Contains("the primary's upsmon does not wait for this host's guests", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Doctor_says_a_stopped_upsd_cannot_be_read_and_that_stops_keep_the_configured_budget()
    {
        await using var server = await NutServer.StartAsync();
        using var host = Guests();
        _machine.WriteConfig($"budget = \"5m\"\n[ups]\nname = \"{server.Name}\"\n");
        await server.StopAsync();

        var result = await Task.Run(() => _machine.Doctor(host.Uri, "--json"), TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(result.Output);
        var finding = Assert.Single(Findings(json));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(("warning", "ups-unreachable"), (finding.GetProperty("severity").GetString(), finding.GetProperty("code").GetString()));
        Assert.Contains($"cannot connect to upsd at 127.0.0.1:{server.Port}", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Contains("use the configured budget (5m)", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Doctor_waits_on_a_upsd_that_never_answers_no_longer_than_the_readings_timeout()
    {
        // Accepted by the kernel's backlog, never answered: a hung upsd.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var host = Guests();
        _machine.WriteConfig($"budget = \"5m\"\n[ups]\nname = \"sundown@127.0.0.1:{port}\"\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = await Task.Run(() => _machine.Doctor(host.Uri, "--json"), TestContext.Current.CancellationToken);

        watch.Stop();
        using var json = JsonDocument.Parse(result.Output);
        var finding = Assert.Single(Findings(json));
        Assert.Equal("ups-unreachable", finding.GetProperty("code").GetString());
        Assert.Contains($"upsd at 127.0.0.1:{port} did not answer in 3s", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
        // NutUps' 3 s, the test driver's guests and the rest of doctor; generous on a busy 2-core machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"doctor took {watch.Elapsed}");
    }

    [Fact(Timeout = 120_000)]
    public async Task Doctor_finds_nuts_low_battery_too_late_for_the_guests_until_watch_is_enabled()
    {
        await using var server = await NutServer.StartAsync("battery.runtime=1800", "battery.runtime.low=60");
        using var host = Guests();
        _machine.WriteConfig($"budget = \"5m\"\n[ups]\nname = \"{server.Name}\"\n");
        _machine.Write("etc/nut/upsmon.conf", $"MONITOR {server.Name} 1 monuser secret primary\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n");

        var late = await Task.Run(() => _machine.Doctor(host.Uri), TestContext.Current.CancellationToken);
        _machine.Link("etc/systemd/system/multi-user.target.wants/sundown-watch.service", "../sundown-watch.service");
        var watched = await Task.Run(() => _machine.Doctor(host.Uri), TestContext.Current.CancellationToken);

        Assert.Equal(2, late.ExitCode);
        Assert.StartsWith("Errors (1):\n  [nut-low-battery-too-late] this machine\n", late.Output, StringComparison.Ordinal);
        Assert.Contains("battery.runtime.low 1m less FINALDELAY 5s (upsmon's default), HOSTSYNC 15s (upsmon's default) and the margin of [ups]", late.Output, StringComparison.Ordinal);
        Assert.Contains("fix: sundown install --enable", late.Output, StringComparison.Ordinal);
        Assert.True(watched.ExitCode == 0, watched.Output + watched.Error);
        Assert.Contains("[nut-low-battery-too-late]", watched.Output, StringComparison.Ordinal);
        Assert.EndsWith("Nothing wrong (1 note).\n", watched.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Doctor_finds_a_margin_at_least_the_runtime_of_the_ups_on_battery()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB DISCHRG", "battery.runtime=50");
        using var host = Guests();
        _machine.WriteConfig($"budget = \"5m\"\n[ups]\nname = \"{server.Name}\"\nmargin = \"1m\"\n");

        var result = await Task.Run(() => _machine.Doctor(host.Uri, "--json"), TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(result.Output);
        var finding = Assert.Single(Findings(json));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("ups-margin-exceeds-runtime", finding.GetProperty("code").GetString());
        Assert.Contains("(50s, OB DISCHRG)", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    private static List<JsonElement> Findings(JsonDocument json) => [.. json.RootElement.GetProperty("findings").EnumerateArray()];

    private static TestHostFile Guests() => TestHostFile.Write(
    [
        new("web", GuestState.Running, false, false, 512 * 1024, 1, "http://debian.org/debian/12", Acpi: true),
        new("db", GuestState.Running, false, false, 1024 * 1024, 1, "http://debian.org/debian/12", Acpi: true),
    ]);
}
