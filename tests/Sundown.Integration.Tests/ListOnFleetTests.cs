using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary><c>sundown list</c>, the published native binary, against real QEMU guests.</summary>
[Collection(nameof(FleetCollection))]
public sealed class ListOnFleetTests : IAsyncLifetime
{
    private const string Alpine = "http://alpinelinux.org/alpinelinux/3.18";
    private const string Windows = "http://microsoft.com/win/10";

    private IReadOnlyList<Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.DownAsync();
        _guests = await Fleet.UpAsync(
            "list runs\tdelay=1",
            "list paused\tpaused",
            "list cold\tshutoff",
            "list transient\ttransient",
            $"list it's \"quoted\" ü $(touch sundown-pwned)\tos={Windows}");
    }

    public async ValueTask DisposeAsync() => await Fleet.DownAsync();

    [Fact(Timeout = 300_000)]
    public async Task List_json_shows_the_fleet_with_the_right_states()
    {
        var result = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var byUuid = json.RootElement.EnumerateArray().ToDictionary(guest => guest.GetProperty("uuid").GetString()!);
        var expected = new Dictionary<string, (string State, bool Persistent, string Os)>
        {
            ["list runs"] = ("running", true, Alpine),
            ["list paused"] = ("paused", true, Alpine),
            ["list cold"] = ("shutoff", true, Alpine),
            ["list transient"] = ("running", false, Alpine),
            ["list it's \"quoted\" ü $(touch sundown-pwned)"] = ("running", true, Windows),
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), _guests.Select(guest => guest.Name).Order(StringComparer.Ordinal));
        Assert.All(_guests, guest =>
        {
            var listed = byUuid[guest.Uuid];
            Assert.Equal(guest.Name, listed.GetProperty("name").GetString());
            Assert.Equal(Fleet.Uri, listed.GetProperty("uri").GetString());
            Assert.Equal(expected[guest.Name], (
                listed.GetProperty("state").GetString()!,
                listed.GetProperty("persistent").GetBoolean(),
                listed.GetProperty("os").GetString()!));
            Assert.Equal(96 * 1024, listed.GetProperty("memoryKiB").GetInt64());
        });
        // The name holds "$(touch sundown-pwned)": run by a shell anywhere, it would leave a file.
        Assert.False(File.Exists(Path.Combine(Fleet.RepositoryRoot, "sundown-pwned")));
        Assert.False(File.Exists("sundown-pwned"));
    }

    [Fact(Timeout = 300_000)]
    public async Task List_table_shows_each_fleet_guest_with_its_state()
    {
        var result = await Fleet.SundownAsync("list", "-c", Fleet.Uri);

        Assert.True(result.ExitCode == 0, result.Error);
        string[] lines = result.Output.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("list paused ", StringComparison.Ordinal) && line.Contains(" paused ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("list cold ", StringComparison.Ordinal) && line.Contains(" shutoff ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("list transient ", StringComparison.Ordinal) && line.Contains("transient", StringComparison.Ordinal));
    }
}
