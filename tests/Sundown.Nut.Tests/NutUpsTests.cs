using Sundown.Core.Ups;
using Sundown.Testing;

namespace Sundown.Nut.Tests;

/// <summary>NutUps against a real upsd and dummy-ups driver (tests/nut/nut.sh).</summary>
public sealed class NutUpsTests
{
    [Fact(Timeout = 120_000)]
    public async Task Reads_the_status_and_runtime_that_upsd_serves_and_sees_them_change()
    {
        await using var server = await NutServer.StartAsync("battery.runtime=600");
        var ups = new NutUps(UpsName.TryParse(server.Name, out _)!);

        var online = await ups.ReadAsync(TestContext.Current.CancellationToken);
        await server.SetAsync("ups.status=OB DISCHRG", "battery.runtime=90");
        var onBattery = await ups.ReadAsync(TestContext.Current.CancellationToken);

        Assert.True(online.OnLine);
        Assert.False(online.OnBattery);
        Assert.Equal(TimeSpan.FromSeconds(600), online.Runtime);
        Assert.Equal(TimeSpan.FromSeconds(120), online.RuntimeLow);
        Assert.True(onBattery.OnBattery);
        Assert.Equal(["OB", "DISCHRG"], onBattery.Status);
        Assert.Equal(TimeSpan.FromSeconds(90), onBattery.Runtime);
    }
}
