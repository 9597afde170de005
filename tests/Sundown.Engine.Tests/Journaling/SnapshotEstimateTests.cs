using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>The snapshot estimate from the journal's past snapshot steps, on a real SQLite file.</summary>
public sealed class SnapshotEstimateTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("sundown-snapestimate-");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public void Twice_the_longest_ok_step_and_none_without_history()
    {
        using var journal = Journal.Open(_state.FullName);
        Assert.Null(journal.SnapshotEstimate());

        Steps(journal, (0.3, StepResult.Ok), (0.8, StepResult.Ok), (5, StepResult.Error));

        Assert.Equal(TimeSpan.FromSeconds(1.6), journal.SnapshotEstimate());
    }

    [Fact]
    public void A_step_that_timed_out_counts_as_at_least_that_long_so_the_estimate_grows()
    {
        using var journal = Journal.Open(_state.FullName);
        Steps(journal, (0.3, StepResult.Ok), (3, StepResult.Timeout));

        Assert.Equal(TimeSpan.FromSeconds(6), journal.SnapshotEstimate());
    }

    [Fact]
    public void The_estimate_never_passes_its_cap()
    {
        using var journal = Journal.Open(_state.FullName);
        Steps(journal, (48, StepResult.Timeout));

        Assert.Equal(Journal.MaxSnapshotEstimate, journal.SnapshotEstimate());
        Assert.Equal(TimeSpan.FromSeconds(60), Journal.MaxSnapshotEstimate);
    }

    private static void Steps(Journal journal, params (double Seconds, StepResult Result)[] steps)
    {
        long run = journal.BeginRun(RunKind.Stop, s_t0, TimeSpan.FromMinutes(5));
        double at = 0;
        foreach (var (seconds, result) in steps)
        {
            long step = journal.StepStarted(run, "qemu:///system", Guid.NewGuid().ToString(), "snapshot", s_t0.AddSeconds(at));
            journal.StepEnded(step, s_t0.AddSeconds(at + seconds), result, null);
            at += seconds + 1;
        }
    }
}
