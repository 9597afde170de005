using System.Text.Json;
using Sundown.Libvirt.Tests;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// A stop whose standard output or error is closed, a pipe closed early, or a full disk
/// behind a redirect, through the published binary (the runtime's own start-up included):
/// what happens to the guests is the same as with a terminal, and the journal says so.
/// </summary>
public sealed class OutputFaultTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Theory(Timeout = 120_000)]
    [InlineData("stdout and stderr closed", ">&- 2>&-")]
    [InlineData("stdin, stdout and stderr closed", "<&- >&- 2>&-")]
    [InlineData("stdout closed", ">&-")]
    [InlineData("stderr closed", "2>&-")]
    [InlineData("stdout on a full disk", ">/dev/full")]
    [InlineData("stdout and stderr on a full disk", ">/dev/full 2>/dev/full")]
    [InlineData("stdout a pipe closed after one byte", "| head -c1 >/dev/null")]
    [InlineData("--json to a pipe closed after one byte", "--json | head -c1 >/dev/null")]
    public async Task A_stop_whose_output_fails_still_stops_every_guest_and_exits_0(string what, string redirection)
    {
        Requires.File(Repository.SundownBinary, "run scripts/publish.sh first");
        using var file = TestHostFile.Create(6);
        // The redirection is the script's own text; the binary and its arguments are passed as
        // data ("$0" "$@"), never through the shell's parsing. PIPESTATUS is bash's: sh has none.
        string script = $"\"$0\" \"$@\" {redirection}; exit ${{PIPESTATUS[0]}}";

        var stop = await ProcessRunner.RunAsync("bash", ["-c", script, Repository.SundownBinary, "stop", "-c", file.Uri, "--budget", "20s", "--state-dir", _stateDir], timeout: TimeSpan.FromSeconds(90));

        Assert.True(stop.ExitCode == 0, $"{what}: exit {stop.ExitCode}; {stop.Error}");
        var report = await ProcessRunner.RunAsync(Repository.SundownBinary, ["report", "--last", "--json", "--state-dir", _stateDir], timeout: TimeSpan.FromSeconds(30));
        Assert.True(report.ExitCode == 0, report.Error);
        var guests = JsonDocument.Parse(report.Output).RootElement.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(file.Guests.Count, guests.Count);
        Assert.All(guests, guest => Assert.Contains(guest.GetProperty("outcome").GetString(), new[] { "shutdown", "already-off" }));
        Assert.Contains(guests, guest => guest.GetProperty("outcome").GetString() == "shutdown");
    }

    [Fact(Timeout = 120_000)]
    public async Task Stdout_on_a_full_disk_is_said_once_on_stderr()
    {
        Requires.File(Repository.SundownBinary, "run scripts/publish.sh first");
        using var file = TestHostFile.Create(4);

        var stop = await ProcessRunner.RunAsync("bash", ["-c", "\"$0\" \"$@\" >/dev/full", Repository.SundownBinary, "stop", "-c", file.Uri, "--budget", "20s", "--state-dir", _stateDir], timeout: TimeSpan.FromSeconds(90));

        Assert.True(stop.ExitCode == 0, stop.Error);
        string[] lines = stop.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["sundown: cannot write to standard output (No space left on device); ignoring it, continuing"], lines);
    }
}
