using System.Text.Json;
using Sundown.Engine.Starting;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary><c>start</c> through the command line, on libvirt's test driver.</summary>
public sealed class StartCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-start-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Start_json_with_nothing_to_restore_prints_a_run_object_with_no_guests() => await Task.Run(() =>
    {
        var result = CliRunner.Run("start", "-c", "test:///default", "--state-dir", _stateDir, "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("start", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("guests").GetArrayLength());
        Assert.Contains("Nothing to restore", result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_with_a_host_that_refuses_names_it_and_exits_4() => await Task.Run(() =>
    {
        const string refusing = "qemu+tcp://127.0.0.1:1/system";

        var result = CliRunner.Run("start", "-c", refusing, "-c", "test:///default", "--state-dir", _stateDir, "--json");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var fault = Assert.Single(json.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal("host", fault.GetProperty("kind").GetString());
        Assert.Equal(refusing, fault.GetProperty("subject").GetString());
        Assert.Contains(refusing, result.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_at_boot_restores_at_the_first_start_of_a_boot_only_and_a_plain_start_still_does() => await Task.Run(() =>
    {
        // What the package's postinst relies on: starting sundown.service again in the same boot
        // (or for the first time after an install, with the marker written) starts no guest.
        using var file = TestHostFile.Create(3);
        string runDirectory = Path.Combine(_stateDir, "run");
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);
        Assert.True(stop.ExitCode == 0, stop.Error);

        var first = CliRunner.Run("start", "--at-boot", "--run-dir", runDirectory, "-c", file.Uri, "--state-dir", _stateDir, "--json");
        bool markedByFirst = File.Exists(BootRestoreMarker.PathIn(runDirectory));
        var second = CliRunner.Run("start", "--at-boot", "--run-dir", runDirectory, "-c", file.Uri, "--state-dir", _stateDir, "--json");
        var plain = CliRunner.Run("start", "--run-dir", runDirectory, "-c", file.Uri, "--state-dir", _stateDir, "--json");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(markedByFirst);
        Assert.NotEqual(0, GuestCount(first));
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(0, GuestCount(second));
        Assert.Contains($"Nothing restored: this boot's restore was done already ({BootRestoreMarker.PathIn(runDirectory)} is there)", second.Error, StringComparison.Ordinal);
        // The marker gates only the unit's start: an operator's `sundown start` still reads the restore list.
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.DoesNotContain("Nothing restored", plain.Error, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_at_boot_with_the_marker_written_beforehand_as_the_postinst_does_restores_nothing() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(2);
        string runDirectory = Directory.CreateDirectory(Path.Combine(_stateDir, "run")).FullName;
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);
        Assert.True(stop.ExitCode == 0, stop.Error);
        File.WriteAllText(Path.Combine(runDirectory, "boot-restore-done"), "");   // `: >/run/sundown/boot-restore-done`

        var atBoot = CliRunner.Run("start", "--at-boot", "--run-dir", runDirectory, "-c", file.Uri, "--state-dir", _stateDir);

        Assert.True(atBoot.ExitCode == 0, atBoot.Error);
        Assert.Contains("Nothing restored: this boot's restore was done already", atBoot.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Done:", atBoot.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Start_at_boot_restores_even_when_the_marker_cannot_be_written_and_says_so() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(2);
        // A file where the run directory should be: neither it nor the marker can be made.
        string runDirectory = Path.Combine(_stateDir, "not-a-dir");
        File.WriteAllText(runDirectory, "");
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);
        Assert.True(stop.ExitCode == 0, stop.Error);

        var atBoot = CliRunner.Run("start", "--at-boot", "--run-dir", runDirectory, "-c", file.Uri, "--state-dir", _stateDir, "--json");

        Assert.True(atBoot.ExitCode == 0, atBoot.Error);
        Assert.Contains($"sundown: warning: cannot write {BootRestoreMarker.PathIn(runDirectory)}", atBoot.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, GuestCount(atBoot));
    });

    private static int GuestCount(CliRunner.Result result)
    {
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("guests").GetArrayLength();
    }
}
