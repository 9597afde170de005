using Microsoft.Data.Sqlite;

namespace Sundown.Engine.Journaling;

public sealed partial class Journal
{
    /// <summary>
    /// The schema, as the steps from one <c>user_version</c> to the next: entry i takes a
    /// journal from version i to i + 1. A change appends a step; a step never changes once
    /// released, because journals on hosts went through it.
    /// </summary>
    private static readonly string[] s_migrations =
    [
        // 1: runs, their guests and their steps. Times are ISO-8601 UTC text with
        // milliseconds (JournalTime); words are the JSON contract's (JournalWords).
        """
        CREATE TABLE run (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('stop', 'start')),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            budget_seconds REAL,
            exit_code INTEGER,
            -- For a stop: the start that brought its restore list back.
            restore_consumed_by INTEGER REFERENCES run (id)
        ) STRICT;

        CREATE TABLE run_guest (
            run INTEGER NOT NULL REFERENCES run (id),
            uri TEXT NOT NULL,
            uuid TEXT NOT NULL,
            name TEXT NOT NULL,
            initial_state TEXT NOT NULL,
            start_order INTEGER NOT NULL,
            restore INTEGER NOT NULL CHECK (restore IN (0, 1)),
            outcome TEXT,
            seconds REAL,
            UNIQUE (run, uri, uuid)
        ) STRICT;

        CREATE TABLE step (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES run (id),
            uri TEXT NOT NULL,
            uuid TEXT NOT NULL,
            action TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            result TEXT,
            error TEXT
        ) STRICT;

        CREATE INDEX step_of_run ON step (run);
        CREATE INDEX step_of_guest ON step (uuid, action);
        CREATE INDEX step_of_action ON step (action, result);
        """,

        // 2: a run's scope, and the restore list consumed entry by entry. A stop with --only
        // lists its names in run_only (a whole-host stop has none), so that a later stop can
        // tell whether it is the same stop picked up again. Each restore entry records the start
        // that brought it back (restore_consumed_by) or when an operator discarded it: the list
        // is the union of every stop's entries left, so a later stop never replaces an earlier,
        // unconsumed list, and an interrupted start leaves the guests it did not reach.
        // run.restore_consumed_by (per run) is kept for the journals written before, no longer read.
        // Carried over: what a start had consumed stays consumed, and of the older lists only the
        // newest stop's counted, so the older ones are marked discarded.
        """
        CREATE TABLE run_only (
            run INTEGER NOT NULL REFERENCES run (id),
            name TEXT NOT NULL,
            UNIQUE (run, name)
        ) STRICT;

        ALTER TABLE run_guest ADD COLUMN restore_consumed_by INTEGER REFERENCES run (id);
        ALTER TABLE run_guest ADD COLUMN restore_discarded_at TEXT;

        UPDATE run_guest SET restore_consumed_by = (SELECT run.restore_consumed_by FROM run WHERE run.id = run_guest.run)
        WHERE restore = 1;

        UPDATE run_guest SET restore_discarded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE restore = 1 AND restore_consumed_by IS NULL
          AND run <> (SELECT max(id) FROM run WHERE kind = 'stop');

        CREATE INDEX run_guest_restore ON run_guest (uri, uuid) WHERE restore = 1;
        """,

        // 3: the hooks a run ran (pre_stop, post_stop, post_start), a guest's or the run's own
        // (uri and uuid null). output is the last 4 KiB of its stdout and stderr.
        """
        CREATE TABLE hook (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES run (id),
            uri TEXT,
            uuid TEXT,
            name TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('pre_stop', 'post_stop', 'post_start')),
            argv TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            result TEXT NOT NULL,
            exit_code INTEGER,
            error TEXT,
            output TEXT NOT NULL
        ) STRICT;

        CREATE INDEX hook_of_run ON hook (run);
        """,
    ];

    /// <summary>The schema version this Sundown writes.</summary>
    internal static int SchemaVersion => s_migrations.Length;

    /// <summary>The step that takes a journal from <paramref name="from"/> to the next version (tests build older journals with it).</summary>
    internal static string MigrationStep(int from) => s_migrations[from];

    private static void Migrate(SqliteConnection connection, string path)
    {
        // IMMEDIATE: a second process opening at the same moment waits here, then finds the
        // schema done.
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        long version = (long)command.ExecuteScalar()!;
        if (version > SchemaVersion)
        {
            throw new JournalException(
                $"the journal {path} has schema version {version}, and this sundown knows only up to {SchemaVersion}: a newer sundown wrote it");
        }

        for (long from = version; from < SchemaVersion; from++)
        {
            command.CommandText = s_migrations[from];
            command.ExecuteNonQuery();
            // PRAGMA takes no parameters; the number is ours, not input.
            command.CommandText = $"PRAGMA user_version = {from + 1}";
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
