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
    /// The guests the next start brings back: every entry of every stop's restore list that no
    /// start has consumed and no operator discarded, one per guest, the newest stop's entry where
    /// several stops listed it. A later stop never replaces an earlier list: a manual stop and
    /// then a reboot's stop still bring back what the manual one stopped.
    /// </summary>
    public IReadOnlyList<RunGuestRecord> RestoreList() => [.. RestoreEntries().Select(static entry => entry.Guest)];

    /// <inheritdoc cref="RestoreList"/>
    public IReadOnlyList<RestoreEntry> RestoreEntries() => Read(transaction =>
    {
        var command = Command(transaction, """
            SELECT g.uri, g.uuid, g.name, g.initial_state, g.start_order, g.restore, g.outcome, g.seconds, r.id, r.started_at
            FROM run_guest g JOIN run r ON r.id = g.run
            WHERE r.kind = $stop AND g.restore = 1 AND g.restore_consumed_by IS NULL AND g.restore_discarded_at IS NULL
            ORDER BY r.id DESC, g.rowid
            """,
            ("$stop", RunKind.Stop.ToWord()));
        using var reader = command.ExecuteReader();
        var seen = new HashSet<(string, string)>();
        var entries = new List<RestoreEntry>();
        while (reader.Read())
        {
            var guest = ReadGuest(reader);
            if (seen.Add((guest.Uri, guest.Uuid)))
            {
                entries.Add(new RestoreEntry(reader.GetInt64(8), JournalTime.Parse(reader.GetString(9)), guest));
            }
        }

        // Oldest stop first (a stable sort), each stop's guests in the order it recorded them.
        return (IReadOnlyList<RestoreEntry>)[.. entries.OrderBy(static e => e.StopRun)];
    });

    /// <summary>
    /// Marks a guest's restore entries (of every stop) as brought back by this start, as soon as
    /// the start has dealt with it: an interrupted start leaves the guests it did not reach on
    /// the list. A guest with no entry left is not an error.
    /// </summary>
    /// <exception cref="ArgumentException">The start is not in the journal.</exception>
    public Task ConsumeRestoreEntryAsync(long startRun, string uri, string uuid) => WriteAsync(transaction =>
    {
        RequireRun(transaction, startRun);
        var statement = Statement("""
            UPDATE run_guest SET restore_consumed_by = $start
            WHERE uri = $uri AND uuid = $uuid AND restore = 1 AND restore_consumed_by IS NULL AND restore_discarded_at IS NULL
              AND run IN (SELECT id FROM run WHERE kind = 'stop')
            """);
        statement.Bind("$start", startRun);
        statement.Bind("$uri", uri);
        statement.Bind("$uuid", uuid);
        statement.ExecuteNonQuery();
    });

    /// <inheritdoc cref="ConsumeRestoreEntryAsync"/>
    public void ConsumeRestoreEntry(long startRun, string uri, string uuid) => Wait(ConsumeRestoreEntryAsync(startRun, uri, uuid));

    /// <summary>
    /// Discards restore entries, as an operator asks (<c>sundown restore-list --discard</c>): those
    /// of the given hosts and names, or every one when both are null.
    /// </summary>
    /// <returns>The guests whose entries were discarded.</returns>
    public IReadOnlyList<RunGuestRecord> DiscardRestoreEntries(DateTimeOffset at, IReadOnlyCollection<string>? uris, IReadOnlyCollection<string>? names)
    {
        var chosen = RestoreList()
            .Where(g => (uris is null || uris.Contains(g.Uri)) && (names is null || names.Contains(g.Name)))
            .ToList();
        Write(transaction =>
        {
            foreach (var guest in chosen)
            {
                Command(transaction, """
                    UPDATE run_guest SET restore_discarded_at = $at
                    WHERE uri = $uri AND uuid = $uuid AND restore = 1 AND restore_consumed_by IS NULL AND restore_discarded_at IS NULL
                    """,
                    ("$at", JournalTime.ToText(at)), ("$uri", guest.Uri), ("$uuid", guest.Uuid)).ExecuteNonQuery();
            }
        });
        return chosen;
    }

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

        var record = new RunRecord(
            run,
            ReadKind(reader, 0),
            JournalTime.Parse(reader.GetString(1)),
            ReadTime(reader, 2),
            reader.IsDBNull(3) ? null : reader.GetDouble(3),
            reader.IsDBNull(4) ? null : reader.GetInt32(4),
            ReadGuests(transaction, run, onlyRestore: false),
            ReadSteps(transaction, run));
        return record with { Only = ReadOnly(transaction, run) };
    }

    private ImmutableArray<string>? ReadOnly(SqliteTransaction transaction, long run)
    {
        var command = Command(transaction, "SELECT name FROM run_only WHERE run = $run ORDER BY name", ("$run", run));
        using var reader = command.ExecuteReader();
        var names = ImmutableArray.CreateBuilder<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names.Count == 0 ? null : names.ToImmutable();
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
            guests.Add(ReadGuest(reader));
        }

        return guests.ToImmutable();
    }

    /// <summary>A run_guest row from its first eight columns: uri, uuid, name, initial_state, start_order, restore, outcome, seconds.</summary>
    private RunGuestRecord ReadGuest(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt32(4),
        reader.GetBoolean(5),
        reader.IsDBNull(6) ? null : ReadWord(reader, 6, JournalWords.GuestOutcomeFromWord, "outcome"),
        reader.IsDBNull(7) ? null : reader.GetDouble(7));

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
