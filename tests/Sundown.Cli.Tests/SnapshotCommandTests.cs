using System.Text.Json;

namespace Sundown.Cli.Tests;

/// <summary>
/// <c>plan</c>, <c>stop</c> and <c>report</c> with <c>snapshots</c> on libvirt's test driver,
/// which refuses disk-only snapshots (code 8): the snapshot step is planned, fails, is
/// journaled and reported, and the stop goes on.
/// </summary>
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-snapcli-").FullName;
    private readonly string _host = Path.Combine(Path.GetTempPath(), $"sundown-snaphost-{Guid.NewGuid():N}.xml");

    public SnapshotCommandTests()
    {
        File.WriteAllText(_host, """
            <node>
              <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
                <name>disky</name>
                <memory unit="KiB">131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <devices><disk type="file" device="disk"><source file="/var/lib/nothing/disky.qcow2"/><target dev="vda" bus="virtio"/></disk></devices>
                <metadata><sundown:policy xmlns:sundown="https://sundown.dev/xmlns/policy/1" snapshots="2"/></metadata>
                <test:runstate>1</test:runstate>
              </domain>
              <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
                <name>diskless</name>
                <memory unit="KiB">131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <metadata><sundown:policy xmlns:sundown="https://sundown.dev/xmlns/policy/1" snapshots="2"/></metadata>
                <test:runstate>1</test:runstate>
              </domain>
            </node>
            """);
    }

    private string Uri => $"test://{_host}";

    public void Dispose()
    {
        File.Delete(_host);
        Directory.Delete(_stateDir, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Plan_shows_the_snapshot_before_the_first_step_with_its_time() => await Task.Run(() =>
    {
        var text = CliRunner.Run("plan", "-c", Uri, "--budget", "5m", "--state-dir", _stateDir);
        var json = CliRunner.Run("plan", "-c", Uri, "--budget", "5m", "--state-dir", _stateDir, "--json");

        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("0.0s snapshot (up to 3.0s, skipped if it would not fit)  →  3.0s acpi", text.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        var guests = document.RootElement.GetProperty("tiers").EnumerateArray().SelectMany(t => t.GetProperty("guests").EnumerateArray());
        Assert.All(guests, guest => Assert.Equal("snapshot", guest.GetProperty("steps")[0].GetProperty("action").GetString()));
    });

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_the_host_refuses_is_journaled_and_reported_and_the_guest_still_stops() => await Task.Run(() =>
    {
        var stop = CliRunner.Run("stop", "-c", Uri, "--budget", "5m", "--state-dir", _stateDir, "--json");
        var report = CliRunner.Run("report", "--last", "--json", "--state-dir", _stateDir);
        var text = CliRunner.Run("report", "--last", "--state-dir", _stateDir);

        Assert.True(stop.ExitCode == 0, stop.Error + stop.Output);
        Assert.Equal(stop.Output, report.Output);
        using var document = JsonDocument.Parse(report.Output);
        var byName = document.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        var disky = byName["disky"].GetProperty("steps");
        Assert.Equal(("snapshot", "error"), (disky[0].GetProperty("action").GetString(), disky[0].GetProperty("result").GetString()));
        Assert.Contains("no snapshot", disky[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        var diskless = byName["diskless"].GetProperty("steps");
        Assert.Equal(("snapshot", "skipped"), (diskless[0].GetProperty("action").GetString(), diskless[0].GetProperty("result").GetString()));
        Assert.Contains("no writable file-backed disk", diskless[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(byName.Values, guest => Assert.Equal("shutdown", guest.GetProperty("outcome").GetString()));
        Assert.Contains("snapshot", text.Output, StringComparison.Ordinal);
    });
}
