using System.Diagnostics;
using System.Globalization;
using Sundown.Core.Ups;
using Sundown.Testing;

namespace Sundown.Nut.Tests;

/// <summary>NutClient and NutUps against a real upsd and dummy-ups driver (tests/nut/nut.sh), faults made to happen for real.</summary>
public sealed class UpsdTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static NutUps Ups(NutServer server) => new(UpsName.TryParse(server.Name, out _)!, s_timeout);

    [Fact(Timeout = 120_000)]
    public async Task Get_var_and_list_var_return_what_the_driver_serves_with_spaces_and_escapes()
    {
        await using var server = await NutServer.StartAsync("battery.runtime=600", "ups.firmware=Sundown test 1.0", "ups.id=\"say \\\"hi\\\" \\\\ ok\"");
        await using var client = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);

        string runtime = await client.GetVarAsync("sundown", "battery.runtime", Cancellation);
        string firmware = await client.GetVarAsync("sundown", "ups.firmware", Cancellation);
        var variables = await client.ListVarAsync("sundown", Cancellation);

        Assert.Equal("600", runtime);
        Assert.Equal("Sundown test 1.0", firmware);
        Assert.Equal("OL", variables["ups.status"]);
        Assert.Equal("100", variables["battery.charge"]);
        Assert.Equal("120", variables["battery.runtime.low"]);
        Assert.Equal("Sundown test 1.0", variables["ups.firmware"]);
        Assert.Equal("say \"hi\" \\ ok", variables["ups.id"]);
        Assert.Equal("dummy-ups", variables["driver.name"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_ups_that_upsd_does_not_serve_is_refused_as_unknown()
    {
        await using var server = await NutServer.StartAsync();
        var ups = new NutUps(new UpsName("nosuch", "127.0.0.1", server.Port), s_timeout);

        var error = await Assert.ThrowsAsync<UpsException>(() => ups.ReadAsync(Cancellation));

        Assert.Equal((UpsErrorKind.Refused, "UNKNOWN-UPS"), (error.Kind, error.Code));
        Assert.Contains("LIST VAR nosuch", error.Message, StringComparison.Ordinal);
        Assert.Contains("upsc -l", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_variable_the_ups_lacks_is_refused_as_not_supported()
    {
        await using var server = await NutServer.StartAsync();
        await using var client = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);

        var error = await Assert.ThrowsAsync<UpsException>(() => client.GetVarAsync("sundown", "ups.nosuch", Cancellation));
        string status = await client.GetVarAsync("sundown", "ups.status", Cancellation);

        Assert.Equal((UpsErrorKind.Refused, "VAR-NOT-SUPPORTED"), (error.Kind, error.Code));
        Assert.Contains("GET VAR sundown ups.nosuch", error.Message, StringComparison.Ordinal);
        Assert.Equal("OL", status);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_stopped_driver_is_refused_as_not_connected_and_read_again_once_it_is_back()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=300");
        var ups = Ups(server);

        await server.StopDriverAsync();
        // upsd sees the driver's socket close at its next poll: at once on a quiet machine.
        var error = await ErrorWhenAsync(ups, "DRIVER-NOT-CONNECTED", TimeSpan.FromSeconds(10));
        await server.StartDriverAsync();
        // upsd answers VAR-NOT-SUPPORTED for a moment after the driver is back (§8 of the facts).
        var back = await ReadWhenAsync(ups, reading => reading.Runtime is not null, TimeSpan.FromSeconds(20));

        Assert.Equal((UpsErrorKind.Refused, "DRIVER-NOT-CONNECTED"), (error.Kind, error.Code));
        Assert.Contains("upsdrvctl start", error.Message, StringComparison.Ordinal);
        Assert.True(back.OnBattery);
        Assert.Equal(TimeSpan.FromSeconds(300), back.Runtime);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_frozen_driver_is_refused_as_stale_past_maxage_and_read_again_once_it_runs()
    {
        await using var server = await NutServer.StartAsync("ups.status=OB", "battery.runtime=200");
        var ups = Ups(server);
        int driver = int.Parse(File.ReadAllText(Path.Combine(server.Directory, "state", "dummy-ups-sundown.pid")).Trim(), CultureInfo.InvariantCulture);
        UpsException stale;

        Signal("STOP", driver);
        try
        {
            // MAXAGE is 5 s (nut.sh); upsd says so at its next look at the driver's data.
            stale = await ErrorWhenAsync(ups, "DATA-STALE", TimeSpan.FromSeconds(30));
        }
        finally
        {
            Signal("CONT", driver);
        }

        var back = await ReadWhenAsync(ups, reading => reading.OnBattery, TimeSpan.FromSeconds(30));

        Assert.Equal(UpsErrorKind.Refused, stale.Kind);
        Assert.Contains("MAXAGE", stale.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(200), back.Runtime);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_stopped_upsd_is_unreachable_at_once()
    {
        await using var server = await NutServer.StartAsync();
        var ups = Ups(server);
        await ups.ReadAsync(Cancellation);

        await server.StopAsync();
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<UpsException>(() => ups.ReadAsync(Cancellation));
        watch.Stop();

        Assert.Equal(UpsErrorKind.Unreachable, error.Kind);
        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < s_timeout, $"a refused connection is known at once, not at the timeout ({watch.Elapsed})");
    }

    [Fact(Timeout = 180_000)]
    public async Task The_runtime_follows_the_ups_as_it_goes_on_battery_and_falls()
    {
        await using var server = await NutServer.StartAsync();
        var ups = Ups(server);
        var seen = new List<UpsReading>();

        seen.Add(await ups.ReadAsync(Cancellation));
        foreach (int runtime in new[] { 90, 60, 30 })
        {
            await server.SetAsync("ups.status=OB DISCHRG", $"battery.runtime={runtime}", $"battery.charge={runtime}");
            seen.Add(await ups.ReadAsync(Cancellation));
        }

        await server.SetAsync("ups.status=OB LB", "battery.runtime=10");
        seen.Add(await ups.ReadAsync(Cancellation));

        Assert.True(seen[0].OnLine);
        Assert.Equal([600.0, 90, 60, 30, 10], seen.Select(r => r.Runtime!.Value.TotalSeconds));
        Assert.All(seen.Skip(1), r => Assert.True(r.OnBattery));
        Assert.Equal([100.0, 90, 60, 30, 30], seen.Select(r => r.Charge!.Value));
        Assert.True(seen[^1].LowBattery);
    }

    /// <summary>Reads until the reading satisfies <paramref name="ready"/>; errors meanwhile are retried.</summary>
    private static async Task<UpsReading> ReadWhenAsync(NutUps ups, Func<UpsReading, bool> ready, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var reading = await ups.ReadAsync(Cancellation);
                if (ready(reading))
                {
                    return reading;
                }
            }
            catch (UpsException) when (watch.Elapsed < within)
            {
                // Not yet.
            }

            if (watch.Elapsed >= within)
            {
                throw new TimeoutException($"the UPS did not read as expected within {within}");
            }

            await Task.Delay(300, Cancellation);
        }
    }

    /// <summary>Reads until upsd refuses with <paramref name="code"/>; readings meanwhile are retried.</summary>
    private static async Task<UpsException> ErrorWhenAsync(NutUps ups, string code, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ups.ReadAsync(Cancellation);
            }
            catch (UpsException e) when (e.Code == code)
            {
                return e;
            }

            if (watch.Elapsed >= within)
            {
                throw new TimeoutException($"upsd did not answer ERR {code} within {within}");
            }

            await Task.Delay(300, Cancellation);
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
