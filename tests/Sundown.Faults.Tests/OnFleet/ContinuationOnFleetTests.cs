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
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        await Fleet.UpAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        _workspace.Dispose();
    }

    [Fact(Timeout = 300_000)]
    public async Task A_whole_stop_after_an_interrupted_only_stop_presses_every_guests_button_first_and_ends_within_its_budget()
    {
        string config = _workspace.Config("[defaults]\nstop = [\"acpi 10s\", \"destroy\"]\n");
        string[] common = ["-c", Fleet.Uri, "--config", config, "--state-dir", _workspace.StateDirectory];
        // The first stop: only the deaf guest, a 20 s budget, interrupted while its acpi step waits.
        var firstStarted = Stopwatch.StartNew();
        using (var first = Process.Start(new ProcessStartInfo(SundownBinary.Path, ["stop", .. common, "--only", Deaf, "--budget", "20s"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!)
        {
            var output = first.StandardOutput.ReadToEndAsync();
            var error = first.StandardError.ReadToEndAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(first.HasExited, $"the --only stop ended before it could be interrupted: {await output}{await error}");
            var interrupt = await ProcessRunner.RunAsync("kill", ["-INT", first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(interrupt.ExitCode == 0, interrupt.Error);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await first.WaitForExitAsync(wait.Token);
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
