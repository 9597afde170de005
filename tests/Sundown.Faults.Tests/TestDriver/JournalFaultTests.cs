using Microsoft.Data.Sqlite;
using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// The state directory read-only, full, or a path that cannot be created: the stop still stops
/// every guest, prints its report, has a <c>journal</c> fault and exits as the guests' outcomes
/// say (0: all shut down). Mounts need root; every one is unmounted however the test ends.
/// </summary>
public sealed class JournalFaultTests
{
    private static readonly string[] s_names = ["web 1", "db ünïcødé", "batch"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    [Theory(Timeout = 120_000)]
    [InlineData("read-only")]
    [InlineData("full")]
    [InlineData("cannot be created")]
    public async Task Stop_with_a_state_directory_that_is_unusable_stops_every_guest_and_reports_a_journal_fault(string fault)
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        string config = workspace.Config("budget = \"30s\"\n");
        string stateDirectory = workspace.StateDirectory;
        await using var mount = fault switch
        {
            "read-only" => await Tmpfs.MountAsync(stateDirectory, "ro,size=1m"),
            "full" => await Tmpfs.MountAsync(stateDirectory, "size=256k"),
            _ => null,
        };
        if (fault == "full")
        {
            await mount!.FillAsync();
        }
        else if (fault == "cannot be created")
        {
            // A regular file where a parent directory should be: mkdir fails with ENOTDIR.
            string file = workspace.PathOf("not-a-directory");
            await File.WriteAllTextAsync(file, "");
            stateDirectory = Path.Combine(file, "state");
        }

        var stop = await SundownBinary.RunAsync(["stop", "-c", host, "--config", config, "--state-dir", stateDirectory, "--json"]);

        FaultAssert.Exit(0, stop);
        var report = StopReport.Parse(stop);
        FaultAssert.Outcomes(report, s_names, "shutdown", stop);
        FaultAssert.Reported("journal", report, stop);
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_whose_journal_is_locked_by_a_hung_writer_stops_every_guest_within_its_budget_and_reports_a_journal_fault()
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        string config = workspace.Config("");
        string[] stop = ["stop", "-c", host, "--config", config, "--state-dir", workspace.StateDirectory, "--budget", "10s", "--json"];
        var seed = await SundownBinary.RunAsync(stop);
        FaultAssert.Exit(0, seed);
        string database = Path.Combine(workspace.StateDirectory, "sundown.db");
        Assert.True(File.Exists(database), $"the first stop left no journal at {database}");
        // Another process's write transaction that never ends: every write (and SQLite's busy
        // wait, 30 s by default) of the next stop meets it.
        await using var hung = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await hung.OpenAsync();
        await using (var begin = hung.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        var run = await SundownBinary.RunAsync(stop);

        FaultAssert.Exit(0, run);
        var report = StopReport.Parse(run);
        FaultAssert.Outcomes(report, s_names, "shutdown", run);
        FaultAssert.Reported("journal", report, run);
        FaultAssert.Within(TimeSpan.FromSeconds(10), s_margin, run);
    }
}
