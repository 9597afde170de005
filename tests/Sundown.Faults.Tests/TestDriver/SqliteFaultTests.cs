using System.Text.Json;
using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// The host's SQLite cannot be loaded (libsqlite3.so.0 missing, an empty file, another library):
/// there is no journal at all, not even in memory, and the stop still stops every guest, with a
/// journal fault at err that names the library and the fix, and the exit status of its guests'
/// outcomes (0: all shut down). Doctor says it as an error. Needs root (a private mount namespace).
/// </summary>
public sealed class SqliteFaultTests
{
    private static readonly string[] s_names = ["web 1", "db ünïcødé", "batch"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    [Theory(Timeout = 120_000)]
    [InlineData("missing", true)]
    [InlineData("an empty file", true)]
    [InlineData("another library", true)]
    [InlineData("missing", false)]
    public async Task Stop_without_a_loadable_sqlite_stops_every_guest_and_says_so_at_err(string breakage, bool atShutdown)
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        string config = workspace.Config("budget = \"30s\"\n");
        string[] stop = ["stop", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--json", .. atShutdown ? ["--at-shutdown"] : Array.Empty<string>()];

        var run = await WithoutSqlite.RunAsync(workspace, breakage, stop);

        FaultAssert.Exit(0, run);
        var report = StopReport.Parse(run);
        FaultAssert.Outcomes(report, s_names, "shutdown", run);
        FaultAssert.Reported("journal", report, run, mentioning: "libsqlite3.so.0");
        Assert.True(
            run.Error.Split('\n').Any(line => line.StartsWith("fault (journal): libsqlite3.so.0: SQLite cannot be loaded", StringComparison.Ordinal)
                && line.Contains("apt install libsqlite3-0", StringComparison.Ordinal)),
            $"no err line naming libsqlite3.so.0 and the fix:\n{run.Describe()}");
        // The restore marks went into the guests (a failed one is a restore fault), and nothing else went wrong.
        Assert.True(report.Faults.All(f => f.Kind == "journal"), $"faults other than the journal's:\n{run.Describe()}");
        Assert.False(File.Exists(Path.Combine(workspace.StateDirectory, "sundown.db")), $"a journal was written without SQLite:\n{run.Describe()}");
        FaultAssert.Within(s_budget, s_margin, run);
    }

    [Fact(Timeout = 120_000)]
    public async Task Doctor_without_a_loadable_sqlite_reports_sqlite_missing_as_an_error_with_the_fix()
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        string config = workspace.Config("");
        string[] doctor = ["doctor", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--json"];

        var without = await WithoutSqlite.RunAsync(workspace, "missing", doctor);
        var with = await SundownBinary.RunAsync(doctor);

        FaultAssert.Exit(2, without);
        var finding = Findings(without).SingleOrDefault(f => f.GetProperty("code").GetString() == "sqlite-missing");
        Assert.True(finding.ValueKind == JsonValueKind.Object, $"no sqlite-missing finding:\n{without.Describe()}");
        Assert.Equal("error", finding.GetProperty("severity").GetString());
        Assert.Contains("libsqlite3.so.0", finding.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Contains("apt install libsqlite3-0", finding.GetProperty("fix").GetString(), StringComparison.Ordinal);
        // The same host with its SQLite: no such finding.
        Assert.DoesNotContain(Findings(with), f => f.GetProperty("code").GetString() == "sqlite-missing");
    }

    private static List<JsonElement> Findings(SundownBinary.Run run)
    {
        try
        {
            using var document = JsonDocument.Parse(run.Output);
            return [.. document.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.Clone())];
        }
        catch (JsonException e)
        {
            Assert.Fail($"no doctor JSON on stdout ({e.Message}):\n{run.Describe()}");
            throw;
        }
    }
}
