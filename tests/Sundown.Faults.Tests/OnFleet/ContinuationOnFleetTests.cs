using System.Diagnostics;
using Sundown.Faults.Tests.Harness;
using Sundown.Integration.Tests;
using Sundown.Testing;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>
/// Issue 11's first fault: <c>stop --only X</c> interrupted earlier in the same boot, then the
/// whole stop. The whole stop is a stop of its own: every running guest hears the power button
/// before anything is powered off, and it ends within its own budget.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class ContinuationOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "faults deaf (ignores ACPI)";
    private const string Fast = "faults fast";
    private const string Slow = "faults slow ünïcødé";

    private static readonly string[] s_fleet = [$"{Deaf}\tignore_acpi", $"{Fast}\tdelay=1", $"{Slow}\tdelay=4"];

    private readonly Workspace _workspace = new();

    public async ValueTask InitializeAsync()
    {
        await FleetUp.StartAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        _workspace.Dispose();
    }

    [Theory(Timeout = 300_000)]
    [InlineData(Signals.Interrupt)]
    [InlineData(Signals.Killed)]
    public async Task A_whole_stop_after_an_interrupted_only_stop_presses_every_guests_button_first_and_ends_within_its_budget(int signal)
    {
        string config = _workspace.Config("[defaults]\nstop = [\"acpi 10s\", \"destroy\"]\n");
        string[] common = ["-c", Fleet.Uri, "--config", config, "--state-dir", _workspace.StateDirectory];
        // The first stop: only the deaf guest, a 20 s budget, interrupted while its acpi step waits.
        // env resets SIGINT to its default: a test host started in the background inherits it
        // ignored, and an ignored SIGINT stays ignored across exec.
        var firstStarted = Stopwatch.StartNew();
        using (var first = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", SundownBinary.Path, "stop", .. common, "--only", Deaf, "--budget", "20s"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!)
        {
            var output = first.StandardOutput.ReadToEndAsync();
            var error = first.StandardError.ReadToEndAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            if (first.HasExited)
            {
                Assert.Fail($"the --only stop ended before it could be interrupted: {await output}{await error}");
            }

            Assert.True(Signals.Kill(first.Id, signal) == 0, $"kill -{signal} {first.Id}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await first.WaitForExitAsync(wait.Token);
            // Interrupted (as Ctrl-C does: exit 130) or killed, before its acpi step (10 s) was up.
            if (first.ExitCode != 128 + signal)
            {
                Assert.Fail($"the --only stop was not interrupted: exit {first.ExitCode}\n{await output}{await error}");
            }
        }

        // Later in the same boot: the first stop's whole budget window has passed (issue 11:
        // today the next stop continues it with the 0 s it had left).
        var left = TimeSpan.FromSeconds(22) - firstStarted.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        var stop = await SundownBinary.RunAsync(["stop", .. common, "--budget", "5m", "--json"]);

        // The deaf guest waits out its 10 s and is powered off: exit 3, all ended.
        FaultAssert.Exit(3, stop);
        var report = StopReport.Parse(stop);
        FaultAssert.Outcomes(report, new Dictionary<string, string> { [Deaf] = "destroyed", [Fast] = "shutdown", [Slow] = "shutdown" }, stop);
        Assert.All(report.Guests.Values, g => Assert.True(g.Actions.Count > 0 && g.Actions[0] == "acpi", $"'{g.Name}' got [{string.Join(", ", g.Actions)}], not the power button first:\n{stop.Describe()}"));
        // Its own budget, both as it reports it and timed from outside: the deaf guest's 10 s
        // plus the binary's start and a destroy on a busy machine.
        Assert.True(report.FinishedAt - report.StartedAt <= TimeSpan.FromMinutes(5), $"the run reports {(report.FinishedAt - report.StartedAt).TotalSeconds:F1}s of a 300s budget:\n{stop.Describe()}");
        FaultAssert.Within(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), stop);
        await OnFleetAssert.AllOffAsync("faults ");
    }
}
