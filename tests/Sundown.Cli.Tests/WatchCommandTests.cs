using System.Diagnostics;
using System.Text.Json;
using Sundown.Core.Ups;
using Sundown.Engine.Watching;

namespace Sundown.Cli.Tests;

/// <summary><c>sundown watch</c>'s refusals and <c>watch --status</c>, in-process.</summary>
public sealed class WatchCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sundown-watchcmd-").FullName;
    private readonly string _statusFile;

    public WatchCommandTests()
    {
        _statusFile = Path.Combine(_directory, "run", "watch.json");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Json_without_status_is_a_usage_error()
    {
        var result = await Task.Run(() => CliRunner.Run("watch", "--json", "--status-file", _statusFile));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--json goes with --status", result.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_with_no_state_file_says_watch_is_not_running()
    {
        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));
        var json = await Task.Run(() => CliRunner.Run("watch", "--status", "--json", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("sundown watch is not running (no state in", text.Output, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.Output);
        Assert.False(document.RootElement.GetProperty("running").GetBoolean());
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_shows_the_phase_runtime_worst_case_trigger_and_last_event_of_a_running_watch()
    {
        var at = new DateTimeOffset(2026, 12, 2, 1, 2, 3, TimeSpan.Zero);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            Environment.ProcessId, "sundown@127.0.0.1:3493", WatchPhase.OnBattery, "OB DISCHRG", TimeSpan.FromSeconds(240), null,
            TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(112), new WatchEvent(WatchSeverity.Warning, "the UPS is on battery"), at, at));

        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));
        var json = await Task.Run(() => CliRunner.Run("watch", "--status", "--json", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"sundown watch is running (pid {Environment.ProcessId}), following sundown@127.0.0.1:3493", text.Output, StringComparison.Ordinal);
        Assert.Contains("phase:        on-battery", text.Output, StringComparison.Ordinal);
        Assert.Contains("runtime:      4m", text.Output, StringComparison.Ordinal);
        Assert.Contains("worst case:   40s", text.Output, StringComparison.Ordinal);
        Assert.Contains("at battery.runtime ≤ 1m52s", text.Output, StringComparison.Ordinal);
        Assert.Contains("2026-12-02 01:02:03 UTC warning: the UPS is on battery", text.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        var root = document.RootElement;
        Assert.True(root.GetProperty("running").GetBoolean());
        Assert.Equal("on-battery", root.GetProperty("phase").GetString());
        Assert.Equal(240, root.GetProperty("runtimeSeconds").GetDouble());
        Assert.Equal(112, root.GetProperty("triggerRuntimeSeconds").GetDouble());
        Assert.Equal("warning", root.GetProperty("lastEvent").GetProperty("priority").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_left_by_a_watch_that_was_killed_says_it_is_not_running()
    {
        // The pid of a process that has exited.
        using var gone = Process.Start("true");
        await gone.WaitForExitAsync(TestContext.Current.CancellationToken);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            gone.Id, "sundown@127.0.0.1:3493", WatchPhase.Stopping, "OB LB", TimeSpan.FromSeconds(20), null, null, null, null, null, DateTimeOffset.UnixEpoch));

        var result = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"sundown watch is not running: {_statusFile} was left by process {gone.Id}", result.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_of_a_watch_without_ups_shows_logind_and_the_shutdown_it_announced()
    {
        var at = new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            Environment.ProcessId, "none", WatchPhase.OnLine, null, null, null, null, null,
            new WatchEvent(WatchSeverity.Notice, "logind announces the host's shutdown"), at, at)
        {
            Logind = "following PrepareForShutdown",
            ShutdownAnnouncedAt = at,
        });

        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));
        var json = await Task.Run(() => CliRunner.Run("watch", "--status", "--json", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"(pid {Environment.ProcessId}), following no UPS;", text.Output, StringComparison.Ordinal);
        Assert.Contains("logind:       following PrepareForShutdown", text.Output, StringComparison.Ordinal);
        Assert.Contains("shutdown:     announced by logind at 2026-12-04 01:02:03 UTC", text.Output, StringComparison.Ordinal);
        Assert.Contains("UPS:          none (no [ups] in the config)", text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("runtime:", text.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("following PrepareForShutdown", document.RootElement.GetProperty("logind").GetString());
        Assert.Equal(at, document.RootElement.GetProperty("shutdownAnnouncedAt").GetDateTimeOffset());
        // What the file holds reads back the same.
        var read = WatchStatusFile.Read(_statusFile)!;
        Assert.Equal(("following PrepareForShutdown", (DateTimeOffset?)at), (read.Logind, read.ShutdownAnnouncedAt));
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_of_a_racks_secondary_shows_its_ups_login()
    {
        var at = new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            Environment.ProcessId, "rackups@10.0.0.1:3493", WatchPhase.OnLine, "OL", TimeSpan.FromMinutes(20), null, null, null, null, null, at)
        {
            Login = "held as upssecondary since 01:02:03 UTC",
        });

        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));
        var json = await Task.Run(() => CliRunner.Run("watch", "--status", "--json", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("\n  UPS login:    held as upssecondary since 01:02:03 UTC\n", text.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("held as upssecondary since 01:02:03 UTC", document.RootElement.GetProperty("login").GetString());
        Assert.Equal("held as upssecondary since 01:02:03 UTC", WatchStatusFile.Read(_statusFile)!.Login);
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_without_a_login_prints_no_ups_login_line()
    {
        var at = new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            Environment.ProcessId, "sundown@127.0.0.1:3493", WatchPhase.OnLine, "OL", TimeSpan.FromMinutes(20), null, null, null, null, null, at));

        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("phase:        on-line", text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("UPS login:", text.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_login_state_quoting_upsd_is_printed_without_its_control_characters()
    {
        // The state quotes upsd's ERR word, which NUT's protocol leaves unchecked: an escape
        // sequence from the peer must not reach the operator's terminal.
        var at = new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero);
        WatchStatusFile.Write(_statusFile, new WatchStatus(
            Environment.ProcessId, "rackups@10.0.0.1:3493", WatchPhase.OnLine, "OL", TimeSpan.FromMinutes(20), null, null, null, null, null, at)
        {
            Login = "not held: upsd at 10.0.0.1:3493 answered ERR \u001b[2JACCESS-DENIED to LOGIN rackups",
        });

        var text = await Task.Run(() => CliRunner.Run("watch", "--status", "--status-file", _statusFile));

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("UPS login:    not held: upsd at 10.0.0.1:3493 answered ERR \\x1b[2JACCESS-DENIED to LOGIN rackups", text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text.Output);
    }
}
