using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// The published <c>sundown watch</c> against a real upsd (dummy-ups) and real QEMU guests: the
/// test plays a power cut in real time, writing <c>battery.runtime</c> as it falls.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class WatchOnFleetTests : IAsyncLifetime
{
    private const string Margin = "20s";
    private const int MarginSeconds = 20;
    private const int LowBattery = 30;

    // The fleet's worst case is the deaf guest's acpi 40s (then its destroy): more than the 30 s
    // of runtime at which the UPS reports LB, when upsmon would begin the host's shutdown.
    private static readonly string[] s_fleet =
    [
        "watch slow\tdelay=20",
        "watch deaf\tignore_acpi",
        "watch quick\tdelay=2",
    ];

    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-watch-state-").FullName;
    private readonly string _work = Directory.CreateTempSubdirectory("sundown-watch-").FullName;
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _log = new();
    private readonly Stopwatch _clock = new();
    private IReadOnlyList<Fleet.FleetGuest> _guests = [];

    private string StatusFile => Path.Combine(_work, "watch.json");

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await NutServer.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        _guests = await Fleet.UpAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_work, recursive: true);
    }

    [Fact(Timeout = 420_000)]
    public async Task Watch_begins_the_stop_before_low_battery_and_every_guest_is_off_before_the_runtime_reaches_the_margin()
    {
        await using var ups = await NutServer.StartAsync("ups.status=OL", "battery.runtime=600", $"battery.runtime.low={LowBattery}");
        using var watch = await StartWatchAsync(ups);
        // Enough for the trigger to come a while into the cut: margin 20 + worst case ~41 s × 1.25
        // + two readings is about 75 s.
        const int From = 100;

        // The cut: on battery at 100 s of runtime, falling a second a second; LB from 30 s on;
        // played until every guest is off, or the runtime is down to the margin.
        _clock.Restart();
        TimeSpan? triggeredAt = null;
        TimeSpan? allOffAt = null;
        string? statusWhileStopping = null;
        for (int runtime = From; runtime >= MarginSeconds; runtime = From - (int)_clock.Elapsed.TotalSeconds)
        {
            string status = runtime <= LowBattery ? "OB LB" : "OB DISCHRG";
            await ups.SetAsync($"ups.status={status}", $"battery.runtime={runtime.ToString(CultureInfo.InvariantCulture)}");
            triggeredAt ??= Logged("stopping the guests now");
            if (triggeredAt is not null && statusWhileStopping is null)
            {
                statusWhileStopping = (await Fleet.SundownAsync("watch", "--status", "--status-file", StatusFile)).Output;
                // systemd stopping the unit (the host shutting down) while the stop runs: it is seen through.
                await SigtermAsync(watch);
            }

            if (allOffAt is null && await AllOffAsync())
            {
                allOffAt = _clock.Elapsed;
                break;
            }
        }

        var runtimeEnded = _clock.Elapsed;
        Dump();

        Assert.True(triggeredAt is { } t && From - t.TotalSeconds > LowBattery, $"the stop began at {triggeredAt}, not before LB ({From - LowBattery}s into the cut)");
        Assert.True(allOffAt is not null, $"not every guest was off when the runtime reached the margin ({runtimeEnded} into the cut)");
        Assert.Matches("phase: +(stopping|stopped)", statusWhileStopping);
        using (var within = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await watch.WaitForExitAsync(within.Token);
        }

        Assert.Equal(0, watch.ExitCode);
        var stopEnded = Logged("ended with exit status 3");
        Assert.True(stopEnded is not null && stopEnded <= Logged("watch ends"), "watch ended before its stop did");
        Assert.False(File.Exists(StatusFile));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_blip_before_the_trigger_leaves_every_guest_running()
    {
        await using var ups = await NutServer.StartAsync("ups.status=OL", "battery.runtime=600", $"battery.runtime.low={LowBattery}");
        using var watch = await StartWatchAsync(ups);
        _clock.Restart();

        await ups.SetAsync("ups.status=OB DISCHRG", "battery.runtime=500");
        await WaitForAsync("is on battery", TimeSpan.FromSeconds(20));
        await ups.SetAsync("ups.status=OL CHRG", "battery.runtime=500");
        await WaitForAsync("nothing was done", TimeSpan.FromSeconds(20));
        var status = await Fleet.SundownAsync("watch", "--status", "--status-file", StatusFile);
        Dump();

        Assert.Matches("phase: +on-line", status.Output);
        Assert.DoesNotContain(_log, l => l.Line.Contains("stopping the guests now", StringComparison.Ordinal));
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        using var json = JsonDocument.Parse(list.Output);
        var ours = json.RootElement.EnumerateArray().Where(g => g.GetProperty("name").GetString()!.StartsWith("watch ", StringComparison.Ordinal)).ToList();
        Assert.Equal(_guests.Count, ours.Count);
        Assert.All(ours, g => Assert.Equal("running", g.GetProperty("state").GetString()));
        await TerminateAsync(watch);
    }

    /// <summary>Starts the published watch on the fleet and the UPS, and waits until it has read it once.</summary>
    private async Task<Process> StartWatchAsync(NutServer ups)
    {
        string config = Path.Combine(_work, "sundown.toml");
        File.WriteAllText(config, $"""
            budget = "5m"

            [defaults]
            stop = ["acpi 40s", "destroy"]

            [ups]
            name = "{ups.Name}"
            margin = "{Margin}"
            on_power_return = "nothing"
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var start = new ProcessStartInfo(Fleet.SundownBinary, ["watch", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--status-file", StatusFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var watch = Process.Start(start)!;
        watch.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _log.Enqueue((_clock.Elapsed, line));
            }
        };
        watch.BeginErrorReadLine();
        watch.BeginOutputReadLine();
        for (var waited = Stopwatch.StartNew(); !File.Exists(StatusFile); await Task.Delay(200))
        {
            Assert.False(watch.HasExited, $"watch exited {(watch.HasExited ? watch.ExitCode : 0)}: {string.Join('\n', _log.Select(l => l.Line))}");
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "watch wrote no status in 30 s");
        }

        return watch;
    }

    /// <summary>SIGTERM, as systemd stops the unit: watch ends at once, exit 0, its status file gone.</summary>
    private async Task TerminateAsync(Process watch)
    {
        await SigtermAsync(watch);
        using var within = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await watch.WaitForExitAsync(within.Token);
        Assert.Equal(0, watch.ExitCode);
        Assert.False(File.Exists(StatusFile));
    }

    private static async Task SigtermAsync(Process watch)
    {
        var kill = await ProcessRunner.RunAsync("kill", ["-TERM", watch.Id.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
    }

    private TimeSpan? Logged(string words) =>
        _log.Where(l => l.Line.Contains(words, StringComparison.Ordinal)).Select(l => (TimeSpan?)l.At).FirstOrDefault();

    private async Task WaitForAsync(string words, TimeSpan within)
    {
        for (var waited = Stopwatch.StartNew(); Logged(words) is null; await Task.Delay(200))
        {
            Assert.True(waited.Elapsed < within, $"watch did not say \"{words}\" within {within}:\n{string.Join('\n', _log.Select(l => l.Line))}");
        }
    }

    private async Task<bool> AllOffAsync()
    {
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        using var json = JsonDocument.Parse(list.Output);
        return json.RootElement.EnumerateArray()
            .Where(g => g.GetProperty("name").GetString()!.StartsWith("watch ", StringComparison.Ordinal))
            .All(g => g.GetProperty("state").GetString() == "shutoff");
    }

    private void Dump()
    {
        foreach (var (at, line) in _log)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"[{at.TotalSeconds,6:0.0}s] {line}");
        }
    }
}
