using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary><c>scripts/demo.sh</c>, end to end, twice in a row: it must leave the machine as it found it.</summary>
[Collection(nameof(FleetCollection))]
public sealed class DemoTests
{
    [Fact(Timeout = 600_000)]
    public async Task The_demo_runs_twice_in_a_row_and_every_guest_ends_as_it_says()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        var environment = new Dictionary<string, string> { ["SUNDOWN_DEMO_SKIP_PUBLISH"] = "1" };
        string demo = Path.Combine(Fleet.RepositoryRoot, "scripts", "demo.sh");

        for (int round = 1; round <= 2; round++)
        {
            var run = await ProcessRunner.RunAsync("bash", [demo], timeout: TimeSpan.FromMinutes(5), environment: environment);

            string output = run.Output + run.Error;
            Assert.True(run.ExitCode == 0, $"round {round}: exit {run.ExitCode}\n{output}");
            // The stop: five guests hear the power button, the one that ignores it is saved
            // after its 8 s; nobody is forced off, so the exit status is 0.
            Assert.Contains(": 5 shutdown, 1 saved.", output, StringComparison.Ordinal);
            Assert.Contains("exit status 0", output, StringComparison.Ordinal);
            Assert.Contains("windows-like (ignores ACPI): acpi timeout", output, StringComparison.Ordinal);
            // The start: the saved guest resumes from its image, the others boot again.
            Assert.Contains("Done: 5 started, 1 restored.", output, StringComparison.Ordinal);
            Assert.Matches(@"paused batch job\s+paused", output);
            Assert.True(File.Exists(Path.Combine(Fleet.RepositoryRoot, "artifacts", "demo", "timeline.svg")));
            var left = await ProcessRunner.RunAsync(Fleet.Script, ["foreign"]);
            Assert.Equal(0, left.ExitCode);
            var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
            Assert.Equal("[]", list.Output.Trim());
        }
    }
}
