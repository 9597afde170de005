using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

// The stop without any journal: when the host's SQLite cannot be loaded, not even the journal in
// memory can be opened. The stop then goes on as it does with a journal in memory (the restore
// list kept in the guests' own libvirt metadata, the default estimates, the report from what this
// process saw), only without recording: no second journal that keeps records without SQLite, since
// nothing would read it back before the process ends, and the report is already built without the
// journal when the journal fails mid-run. So the journal is null here, and each use says what is
// done instead.
public static partial class StopRun
{
    /// <summary>
    /// The run's id without a journal, in its report and its restore marks: 1, what a journal in
    /// memory gives its one run.
    /// </summary>
    private const long UnjournaledRun = 1;

    /// <summary>
    /// The journal of the state directory, or one in memory when that cannot be used, or none when
    /// SQLite itself cannot be loaded (a <c>journal</c> fault at err naming the library and the fix).
    /// </summary>
    private static Journal? OpenJournal(StopRequest request, Action<Fault> found)
    {
        if (Journal.SqliteLoadFailure is { } why)
        {
            found(new Fault(FaultKinds.Journal, SystemSqlite.Soname,
                $"{why}; continuing without a journal: this run is not recorded, the restore list is kept in the guests' own libvirt metadata"));
            return null;
        }

        string state = request.StateDirectory;
        return request.JournalInMemory ? Journal.OpenInMemory()
            : Journal.OpenOrInMemory(state, e => found(new Fault(FaultKinds.Journal, state, $"{e.Message}; continuing with the journal in memory (the restore list is kept in the guests' own libvirt metadata)")));
    }

    /// <summary>The executor's recorder without a journal: every record is taken at once and kept nowhere; step ids only number the steps.</summary>
    private sealed class UnjournaledSteps : IStepRecorder
    {
        private long _lastStep;

        public Task<long> StepStartedAsync(string uri, string uuid, string action, DateTimeOffset at) =>
            Task.FromResult(Interlocked.Increment(ref _lastStep));

        public Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error) => Task.CompletedTask;

        public Task GuestFinishedAsync(string uri, string uuid, GuestOutcome outcome, double seconds) => Task.CompletedTask;
    }
}
