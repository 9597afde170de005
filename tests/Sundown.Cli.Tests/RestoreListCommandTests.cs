using System.Text.Json;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary><c>restore-list</c>: seeing and discarding what the next start brings back.</summary>
public sealed class RestoreListCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-restorelist-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Restore_list_shows_what_a_stop_left_and_discard_takes_the_named_guests_off() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--state-dir", _stateDir);
        Assert.True(stop.ExitCode == 0, stop.Error);
        // Running and paused guests were up: those come back.
        string[] up = [.. file.Guests.Where(g => g.State is Core.Model.GuestState.Running or Core.Model.GuestState.Paused).Select(g => g.Name).Order(StringComparer.Ordinal)];

        var listed = CliRunner.Run("restore-list", "--state-dir", _stateDir, "--json");
        var table = CliRunner.Run("restore-list", "--state-dir", _stateDir);
        var discard = CliRunner.Run("restore-list", "--state-dir", _stateDir, "--discard", "--only", up[0]);
        var after = CliRunner.Run("restore-list", "--state-dir", _stateDir, "--json");

        Assert.Equal(0, listed.ExitCode);
        using var json = JsonDocument.Parse(listed.Output);
        var entries = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(up, entries.Select(e => e.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["uri", "name", "uuid", "state", "order", "stopRun", "stoppedAt", "keptIn"], entries[0].EnumerateObject().Select(p => p.Name));
        Assert.All(entries, e => Assert.Equal("journal", e.GetProperty("keptIn").GetString()));
        Assert.StartsWith("NAME", table.Output, StringComparison.Ordinal);
        Assert.Equal(0, discard.ExitCode);
        Assert.Contains("Discarded 1 entry", discard.Output, StringComparison.Ordinal);
        using var remaining = JsonDocument.Parse(after.Output);
        Assert.Equal(up[1..], remaining.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    });

    [Fact(Timeout = 60_000)]
    public async Task Restore_list_without_a_journal_is_empty_and_creates_nothing() => await Task.Run(() =>
    {
        string missing = Path.Combine(_stateDir, "none");

        var result = CliRunner.Run("restore-list", "--state-dir", missing);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("empty", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    });

    [Fact(Timeout = 60_000)]
    public async Task Restore_list_of_a_host_shows_the_marks_in_its_guests_and_discard_removes_them() => await Task.Run(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"sundown-markhost-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, """
            <node>
              <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
                <name>marked</name>
                <memory unit="KiB">131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <metadata>
                  <sundownrestore:restore xmlns:sundownrestore="https://sundown.dev/xmlns/restore/1" run="1" at="2026-12-01T18:00:00.000Z" state="paused" order="10"/>
                </metadata>
                <test:runstate>5</test:runstate>
              </domain>
            </node>
            """);
        try
        {
            string uri = $"test://{path}";

            var listed = CliRunner.Run("restore-list", "-c", uri, "--state-dir", _stateDir, "--json");
            var discard = CliRunner.Run("restore-list", "-c", uri, "--state-dir", _stateDir, "--discard", "--only", "marked");

            Assert.True(listed.ExitCode == 0, listed.Error);
            using var json = JsonDocument.Parse(listed.Output);
            var entry = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal(("marked", "paused", 10, "guest"), (entry.GetProperty("name").GetString(), entry.GetProperty("state").GetString(), entry.GetProperty("order").GetInt32(), entry.GetProperty("keptIn").GetString()));
            Assert.Equal("2026-12-01T18:00:00.000Z", entry.GetProperty("stoppedAt").GetString());
            Assert.True(discard.ExitCode == 0, discard.Error);
            Assert.Contains("Discarded 1 entry: marked", discard.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Fact]
    public void Only_without_discard_is_bad_usage()
    {
        var result = CliRunner.Run("restore-list", "--state-dir", _stateDir, "--only", "web");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--discard", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_list_is_in_the_help()
    {
        var result = CliRunner.Run("--help");

        Assert.Contains("restore-list", result.Output, StringComparison.Ordinal);
    }
}
