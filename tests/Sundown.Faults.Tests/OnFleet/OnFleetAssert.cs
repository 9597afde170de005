using System.Text.Json;
using Sundown.Integration.Tests;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>What libvirt itself says after a stop on the fleet.</summary>
internal static class OnFleetAssert
{
    /// <summary>Every fleet guest whose name starts with <paramref name="prefix"/> is shut off.</summary>
    internal static async Task AllOffAsync(string prefix)
    {
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        Assert.True(list.ExitCode == 0, list.Error);
        using var json = JsonDocument.Parse(list.Output);
        var ours = json.RootElement.EnumerateArray().Where(g => g.GetProperty("name").GetString()!.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, g => Assert.True(g.GetProperty("state").GetString() == "shutoff", $"'{g.GetProperty("name").GetString()}' is {g.GetProperty("state").GetString()}"));
    }
}
