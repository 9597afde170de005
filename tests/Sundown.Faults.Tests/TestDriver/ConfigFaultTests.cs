using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// A bad config file (a typo, a mode that lets others write it, a path that cannot be read):
/// the unit's stop (<c>--at-shutdown</c>) falls back to the last config that parsed, else the
/// defaults, with a <c>config</c> fault; everything interactive keeps refusing it, exit 2.
/// </summary>
public sealed class ConfigFaultTests
{
    // Saves where the defaults press the power button: which config a stop used shows in
    // every guest's outcome (the test driver saves persistent guests, and shuts them down at once).
    private const string GoodConfig = "[defaults]\nstop = [\"save\", \"destroy\"]\n";

    private static readonly string[] s_names = ["web 1", "db ünïcødé"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);

    // The binary's own start and a test-driver host, on a loaded 2-core machine.
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    [Theory(Timeout = 120_000)]
    [InlineData("typo")]
    [InlineData("unsafe mode")]
    [InlineData("unreadable")]
    public async Task Stop_at_shutdown_with_a_broken_config_falls_back_to_the_last_good_one_and_stops_every_guest(string breakage)
    {
        using var workspace = new Workspace();
        string host = Host(workspace);
        workspace.Config(GoodConfig);
        var seed = await SundownBinary.RunAsync(Stop(workspace, host));
        FaultAssert.Exit(0, seed);
        FaultAssert.Outcomes(StopReport.Parse(seed), s_names, "saved", seed);
        // The contract's name for the copy kept of the last config that parsed.
        Assert.True(File.Exists(Path.Combine(workspace.StateDirectory, "last-good.toml")), $"no last-good.toml in the state directory after a stop with a good config:\n{seed.Describe()}");
        Break(workspace, breakage);

        var stop = await SundownBinary.RunAsync([.. Stop(workspace, host), "--at-shutdown"]);

        FaultAssert.Exit(0, stop);
        var report = StopReport.Parse(stop);
        FaultAssert.Outcomes(report, s_names, "saved", stop);
        FaultAssert.Reported("config", report, stop);
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("typo")]
    [InlineData("unsafe mode")]
    [InlineData("unreadable")]
    public async Task Stop_at_shutdown_with_a_broken_config_and_no_good_one_before_it_uses_the_defaults(string breakage)
    {
        using var workspace = new Workspace();
        string host = Host(workspace);
        Break(workspace, breakage);

        var stop = await SundownBinary.RunAsync([.. Stop(workspace, host), "--at-shutdown"]);

        FaultAssert.Exit(0, stop);
        var report = StopReport.Parse(stop);
        // The defaults: the power button first (acpi 2m, then destroy); the test driver obeys at once.
        FaultAssert.Outcomes(report, s_names, "shutdown", stop);
        Assert.All(report.Guests.Values, g => Assert.Equal("acpi", g.Actions[0]));
        FaultAssert.Reported("config", report, stop);
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("typo")]
    [InlineData("unsafe mode")]
    [InlineData("unreadable")]
    public async Task Plain_stop_plan_and_doctor_still_refuse_a_broken_config_when_a_good_one_was_kept(string breakage)
    {
        using var workspace = new Workspace();
        string host = Host(workspace);
        workspace.Config(GoodConfig);
        var seed = await SundownBinary.RunAsync(Stop(workspace, host));
        FaultAssert.Exit(0, seed);
        long seedRun = StopReport.Parse(seed).Run;
        Break(workspace, breakage);
        string[] common = ["-c", host, "--config", workspace.ConfigPath, "--state-dir", workspace.StateDirectory];

        var stop = await SundownBinary.RunAsync(Stop(workspace, host));
        var plan = await SundownBinary.RunAsync(["plan", .. common]);
        var doctor = await SundownBinary.RunAsync(["doctor", .. common]);

        FaultAssert.Exit(2, stop);
        Assert.True((stop.Output + stop.Error).Contains("Nothing was touched", StringComparison.Ordinal), stop.Describe());
        FaultAssert.Exit(2, plan);
        FaultAssert.Exit(2, doctor);
        // No run began: the last one in the journal is still the good one before the breakage.
        var last = await SundownBinary.RunAsync(["report", "--last", "--json", "--state-dir", workspace.StateDirectory]);
        FaultAssert.Exit(0, last);
        Assert.Equal(seedRun, StopReport.Parse(last).Run);
    }

    private static string Host(Workspace workspace) =>
        TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);

    private static string[] Stop(Workspace workspace, string host) =>
        ["stop", "-c", host, "--config", workspace.ConfigPath, "--state-dir", workspace.StateDirectory, "--budget", "30s", "--json"];

    private static void Break(Workspace workspace, string breakage)
    {
        switch (breakage)
        {
            case "typo":
                // The typo of issue 11: a duration that is none.
                workspace.Config("[defaults]\nstop = [\"acpi soon\", \"destroy\"]\n");
                break;
            case "unsafe mode":
                // What it says is fine; who may change it is not.
                workspace.Config(GoodConfig);
                File.SetUnixFileMode(workspace.ConfigPath, File.GetUnixFileMode(workspace.ConfigPath) | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
                break;
            case "unreadable":
                // Root reads any file: a directory where the file should be cannot be read by anyone.
                File.Delete(workspace.ConfigPath);
                Directory.CreateDirectory(workspace.ConfigPath);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }
    }
}
