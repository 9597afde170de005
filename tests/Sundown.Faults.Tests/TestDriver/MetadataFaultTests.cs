using System.Text.Json;
using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// One guest's <c>&lt;sundown:policy&gt;</c> is invalid (the typo of issue 11): that guest gets
/// the config's policy and a <c>metadata</c> fault names it; the other guests, their own
/// policies included, are untouched by it. In every stop, and in the plan.
/// </summary>
public sealed class MetadataFaultTests
{
    private const string Bad = "bad policy guest";
    private const string Own = "own policy guest";
    private const string Plain = "plain guest";
    private const string Config = "[defaults]\nstop = [\"acpi 30s\", \"destroy\"]\n";

    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stop_gives_a_guest_with_a_bad_policy_element_the_config_policy_and_stops_every_guest(bool atShutdown)
    {
        using var workspace = new Workspace();
        string host = Host(workspace);
        string config = workspace.Config(Config);
        string[] args = ["stop", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--budget", "30s", "--json"];

        var stop = await SundownBinary.RunAsync(atShutdown ? [.. args, "--at-shutdown"] : args);

        FaultAssert.Exit(0, stop);
        var report = StopReport.Parse(stop);
        // The bad one pressed like the config says; the one with a valid element of its own saved as that says.
        FaultAssert.Outcomes(report, new Dictionary<string, string> { [Bad] = "shutdown", [Own] = "saved", [Plain] = "shutdown" }, stop);
        Assert.Equal(["acpi"], report.Guests[Bad].Actions);
        Assert.Equal(["save"], report.Guests[Own].Actions);
        FaultAssert.Reported("metadata", report, stop, mentioning: Bad);
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_gives_a_guest_with_a_bad_policy_element_the_config_policy_and_warns_naming_it()
    {
        using var workspace = new Workspace();
        string host = Host(workspace);
        string config = workspace.Config(Config);

        var plan = await SundownBinary.RunAsync(["plan", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--json"]);

        FaultAssert.Exit(0, plan);
        var ladders = PlannedActions(plan);
        Assert.Equal(["acpi", "destroy"], ladders[Bad]);
        Assert.Equal(["save", "destroy"], ladders[Own]);
        Assert.Equal(["acpi", "destroy"], ladders[Plain]);
        Assert.True(plan.Error.Contains(Bad, StringComparison.Ordinal), $"no warning naming '{Bad}' on stderr:\n{plan.Describe()}");
    }

    private static string Host(Workspace workspace) => TestDriverHost.Write(
        workspace,
        new TestDriverHost.Guest(Bad, StopAttribute: "acpi soon, destroy"),
        new TestDriverHost.Guest(Own, StopAttribute: "save, destroy"),
        new TestDriverHost.Guest(Plain));

    private static Dictionary<string, string[]> PlannedActions(SundownBinary.Run plan)
    {
        using var json = JsonDocument.Parse(plan.Output);
        return json.RootElement.GetProperty("tiers").EnumerateArray()
            .SelectMany(t => t.GetProperty("guests").EnumerateArray())
            .ToDictionary(
                g => g.GetProperty("name").GetString()!,
                g => g.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()!).ToArray(),
                StringComparer.Ordinal);
    }
}
