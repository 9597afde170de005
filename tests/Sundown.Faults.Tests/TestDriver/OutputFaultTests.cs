using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// stdout and stderr closed, a pipe whose reader is gone, <c>/dev/full</c>: a failure to write
/// never changes what happens to a guest, and never aborts the process (today: SIGABRT, 134).
/// What the stop did is read back afterwards with <c>report --last --json</c>.
/// </summary>
public sealed class OutputFaultTests
{
    private static readonly string[] s_names = ["web 1", "db ünïcødé", "batch"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    // Each line runs the binary ($0) with its arguments ("$@") and exits with its status.
    [Theory(Timeout = 120_000)]
    [InlineData("stdout and stderr closed", "exec \"$0\" \"$@\" >&- 2>&-")]
    [InlineData("stdin, stdout and stderr closed", "exec \"$0\" \"$@\" <&- >&- 2>&-")]
    // head reads the 'x' and exits long before the binary writes its first line: every write
    // of the stop meets a pipe without a reader (EPIPE), not only a late one.
    [InlineData("a closed pipe", "{ printf x; sleep 0.5; exec \"$0\" \"$@\"; } | head -c1 >/dev/null; exit \"${PIPESTATUS[0]}\"")]
    [InlineData("/dev/full", "exec \"$0\" \"$@\" >/dev/full 2>/dev/full")]
    public async Task Stop_whose_output_cannot_be_written_stops_every_guest_and_exits_0(string fault, string script)
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        string config = workspace.Config("");

        // Progress on stdout (no --json): the stop writes to it from the first guest to the last.
        var stop = await SundownBinary.ShellAsync(script, ["stop", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--budget", "30s"]);

        Assert.True(stop.ExitCode == 0, $"{fault}: expected exit 0, got {stop.Describe()}");
        FaultAssert.Within(s_budget, s_margin, stop);
        var last = await SundownBinary.RunAsync(["report", "--last", "--json", "--state-dir", workspace.StateDirectory]);
        FaultAssert.Exit(0, last);
        FaultAssert.Outcomes(StopReport.Parse(last), s_names, "shutdown", last);
    }
}
