using System.Collections.Immutable;
using Microsoft.Data.Sqlite;

namespace Sundown.Engine.Journaling;

public sealed partial class Journal
{
    /// <summary>
    /// The run to continue: the newest run of all, if it is of this kind and never finished
    /// (it crashed or was killed). A run that another run has followed is history, not
    /// something to continue: continuing it would redo a stop whose guests a start has
    /// since brought back.
    /// </summary>
    public RunRecord? FindUnfinishedRun(RunKind kind) => Read(transaction =>
    {
        var command = Command(transaction, "SELECT id, kind, finished_at IS NULL FROM run ORDER BY id DESC LIMIT 1");
        using var reader = command.ExecuteReader();
        return reader.Read() && ReadKind(reader, 1) == kind && reader.GetBoolean(2)
            ? LoadRun(transaction, reader.GetInt64(0))
            : null;
    });

    /// <summary>The run with this id, with its guests and steps; null if there is none.</summary>
    public RunRecord? LoadRun(long run) => Read(transaction => LoadRun(transaction, run));

    /// <summary>The newest run, of any kind or of the one given, finished or not; null if there is none.</summary>
    public RunRecord? LastRun(RunKind? kind = null) => Read(transaction =>
    {
        var command = Command(transaction,
            "SELECT id FROM run WHERE $kind IS NULL OR kind = $kind ORDER BY id DESC LIMIT 1",
            ("$kind", kind?.ToWord()));
        return command.ExecuteScalar() is long id ? LoadRun(transaction, id) : null;
    });

    /// <summary>Every run, newest first.</summary>
    public IReadOnlyList<RunSummary> ListRuns() => Read(transaction =>
    {
        var command = Command(transaction, """
            SELECT id, kind, started_at, finished_at, exit_code,
                   (SELECT count(*) FROM run_guest WHERE run_guest.run = run.id)
            FROM run ORDER BY id DESC
            """);
        using var reader = command.ExecuteReader();
        var runs = new List<RunSummary>();
        while (reader.Read())
        {
            runs.Add(new RunSummary(
                reader.GetInt64(0),
                ReadKind(reader, 1),
                JournalTime.Parse(reader.GetString(2)),
                ReadTime(reader, 3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.GetInt32(5)));
        }

        return (IReadOnlyList<RunSummary>)runs;
    });

    /// <summary>
    /// The guests the next start brings back: those on the restore list of the newest stop
    /// (<c>LastRun(RunKind.Stop)</c>), unless a start has already consumed it. Only the newest
    /// stop counts: an older list is stale once a newer stop has run.
    /// </summary>
    public IReadOnlyList<RunGuestRecord> RestoreList() => Read(transaction =>
    {
        var command = Command(transaction,
            "SELECT id FROM run WHERE kind = $stop AND restore_consumed_by IS NULL AND id = (SELECT max(id) FROM run WHERE kind = $stop)",
            ("$stop", RunKind.Stop.ToWord()));
        return command.ExecuteScalar() is long stop
            ? (IReadOnlyList<RunGuestRecord>)ReadGuests(transaction, stop, onlyRestore: true)
            : [];
    });

    /// <summary>
    /// Marks a stop's restore list as brought back by a start, so that a second start does
    /// nothing. A list already consumed keeps its first consumer.
    /// </summary>
    public void ConsumeRestoreList(long stopRun, long startRun) => Write(transaction =>
    {
        RequireRun(transaction, startRun);
        var command = Command(transaction,
            "UPDATE run SET restore_consumed_by = coalesce(restore_consumed_by, $start) WHERE id = $stop AND kind = $kind",
            ("$stop", stopRun), ("$start", startRun), ("$kind", RunKind.Stop.ToWord()));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"run {stopRun} is not a stop in the journal", nameof(stopRun));
        }
    });

    private RunRecord? LoadRun(SqliteTransaction transaction, long run)
    {
        var command = Command(transaction,
            "SELECT kind, started_at, finished_at, budget_seconds, exit_code FROM run WHERE id = $run",
            ("$run", run));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new RunRecord(
            run,
            ReadKind(reader, 0),
            JournalTime.Parse(reader.GetString(1)),
            ReadTime(reader, 2),
            reader.IsDBNull(3) ? null : reader.GetDouble(3),
            reader.IsDBNull(4) ? null : reader.GetInt32(4),
            ReadGuests(transaction, run, onlyRestore: false),
            ReadSteps(transaction, run));
    }

    private ImmutableArray<RunGuestRecord> ReadGuests(SqliteTransaction transaction, long run, bool onlyRestore)
    {
        var command = Command(transaction, """
            SELECT uri, uuid, name, initial_state, start_order, restore, outcome, seconds
            FROM run_guest WHERE run = $run AND (restore = 1 OR NOT $onlyRestore)
            ORDER BY rowid
            """,
            ("$run", run), ("$onlyRestore", onlyRestore));
        using var reader = command.ExecuteReader();
        var guests = ImmutableArray.CreateBuilder<RunGuestRecord>();
        while (reader.Read())
        {
            guests.Add(new RunGuestRecord(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt32(4),
                reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : ReadWord(reader, 6, JournalWords.GuestOutcomeFromWord, "outcome"),
                reader.IsDBNull(7) ? null : reader.GetDouble(7)));
        }

        return guests.ToImmutable();
    }

    private ImmutableArray<StepRecord> ReadSteps(SqliteTransaction transaction, long run)
    {
        var command = Command(transaction,
            "SELECT id, uri, uuid, action, started_at, ended_at, result, error FROM step WHERE run = $run ORDER BY id",
            ("$run", run));
        using var reader = command.ExecuteReader();
        var steps = ImmutableArray.CreateBuilder<StepRecord>();
        while (reader.Read())
        {
            steps.Add(new StepRecord(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                JournalTime.Parse(reader.GetString(4)),
                ReadTime(reader, 5),
                reader.IsDBNull(6) ? null : ReadWord(reader, 6, JournalWords.StepResultFromWord, "step result"),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return steps.ToImmutable();
    }

    private RunKind ReadKind(SqliteDataReader reader, int column) =>
        ReadWord(reader, column, JournalWords.RunKindFromWord, "run kind");

    private static DateTimeOffset? ReadTime(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : JournalTime.Parse(reader.GetString(column));

    /// <summary>A stored word back to its enum; a word this Sundown does not know means the file is not its own.</summary>
    private T ReadWord<T>(SqliteDataReader reader, int column, Func<string, T?> fromWord, string what)
        where T : struct
    {
        string word = reader.GetString(column);
        return fromWord(word) ?? throw new JournalException($"the journal {FilePath} holds an unknown {what} '{word}'");
    }
}
