using Microsoft.Data.Sqlite;

namespace Sundown.Engine.Journal;

/// <summary>
/// The record of every run, in SQLite at <c>STATE/sundown.db</c>: runs, their guests and
/// steps, and the restore list; past steps give the planner its estimates. Every write is
/// its own transaction and on disk when the method returns (WAL, synchronous=FULL), so a run
/// killed at any moment leaves a journal that says what it was doing, and the next run can
/// continue it. Callable from several threads: one connection, used under a lock.
/// </summary>
/// <remarks>
/// Inside the <c>Sundown.Engine</c> namespaces the name <c>Journal</c> means this namespace,
/// not this class: there, name the class through an alias
/// (<c>using RunJournal = Sundown.Engine.Journal.Journal;</c>).
/// </remarks>
public sealed partial class Journal : IDisposable
{
    /// <summary>The journal's file in the state directory.</summary>
    public const string FileName = "sundown.db";

    private readonly Lock _lock = new();
    private readonly SqliteConnection _connection;
    private bool _disposed;

    private Journal(SqliteConnection connection, string path)
    {
        _connection = connection;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>
    /// Opens the journal of a state directory, creating the directory (0700), the file and
    /// the schema as needed, and bringing an older schema up to date.
    /// </summary>
    /// <exception cref="JournalException">It cannot be created or read, or a newer Sundown wrote it.</exception>
    public static Journal Open(string stateDirectory)
    {
        StateDirectory.Create(stateDirectory);
        string path = Path.Combine(stateDirectory, FileName);
        var connection = Connect(path);
        try
        {
            connection.Open();
            Configure(connection);
            Migrate(connection, path);
            return new Journal(connection, path);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new JournalException($"cannot open the journal {path}: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Starts a run; its id is what every later call about it takes.</summary>
    public long BeginRun(RunKind kind, DateTimeOffset startedAt, TimeSpan? budget) => Write(transaction =>
    {
        using var command = Command(transaction,
            "INSERT INTO run (kind, started_at, budget_seconds) VALUES ($kind, $startedAt, $budget) RETURNING id",
            ("$kind", kind.ToWord()), ("$startedAt", JournalTime.ToText(startedAt)), ("$budget", budget?.TotalSeconds));
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>
    /// Records the run's guests, all in one transaction, before its first step: the restore
    /// list is what they were when the run began. A guest recorded again for the same run
    /// (a continued run) keeps its first record.
    /// </summary>
    public void RecordGuests(long run, IEnumerable<RunGuestRecord> guests) => Write(transaction =>
    {
        RequireRun(transaction, run);
        using var command = Command(transaction, """
            INSERT INTO run_guest (run, uri, uuid, name, initial_state, start_order, restore, outcome, seconds)
            VALUES ($run, $uri, $uuid, $name, $initialState, $order, $restore, $outcome, $seconds)
            ON CONFLICT (run, uri, uuid) DO NOTHING
            """);
        foreach (var guest in guests)
        {
            Bind(command,
                ("$run", run), ("$uri", guest.Uri), ("$uuid", guest.Uuid), ("$name", guest.Name),
                ("$initialState", guest.InitialState), ("$order", guest.Order), ("$restore", guest.Restore),
                ("$outcome", guest.Outcome?.ToWord()), ("$seconds", guest.Seconds));
            command.ExecuteNonQuery();
        }
    });

    /// <summary>Records a step before it is taken, so a crash during it leaves it open in the journal.</summary>
    /// <returns>The step's id, for <see cref="StepEnded"/>.</returns>
    public long StepStarted(long run, string uri, string uuid, string action, DateTimeOffset at) => Write(transaction =>
    {
        RequireRun(transaction, run);
        using var command = Command(transaction,
            "INSERT INTO step (run, uri, uuid, action, started_at) VALUES ($run, $uri, $uuid, $action, $at) RETURNING id",
            ("$run", run), ("$uri", uri), ("$uuid", uuid), ("$action", action), ("$at", JournalTime.ToText(at)));
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>Records how a step ended, after it ended.</summary>
    public void StepEnded(long step, DateTimeOffset at, StepResult result, string? error) => Write(transaction =>
    {
        using var command = Command(transaction,
            "UPDATE step SET ended_at = $at, result = $result, error = $error WHERE id = $id",
            ("$id", step), ("$at", JournalTime.ToText(at)), ("$result", result.ToWord()), ("$error", error));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"step {step} is not in the journal", nameof(step));
        }
    });

    /// <summary>Records a guest's outcome in the run; the guest must have been recorded with <see cref="RecordGuests"/>.</summary>
    public void GuestFinished(long run, string uri, string uuid, GuestOutcome outcome, double seconds) => Write(transaction =>
    {
        using var command = Command(transaction,
            "UPDATE run_guest SET outcome = $outcome, seconds = $seconds WHERE run = $run AND uri = $uri AND uuid = $uuid",
            ("$run", run), ("$uri", uri), ("$uuid", uuid), ("$outcome", outcome.ToWord()), ("$seconds", seconds));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"guest {uuid} on {uri} was not recorded for run {run}", nameof(uuid));
        }
    });

    /// <summary>Closes a run: from now on it is history, not something to continue.</summary>
    public void FinishRun(long run, DateTimeOffset at, int exitCode) => Write(transaction =>
    {
        using var command = Command(transaction,
            "UPDATE run SET finished_at = $at, exit_code = $exitCode WHERE id = $run",
            ("$run", run), ("$at", JournalTime.ToText(at)), ("$exitCode", exitCode));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    });

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
        }
    }

    private static SqliteConnection Connect(string path)
    {
        try
        {
            return new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                // One connection for the journal's life: a pool would only keep the file
                // open after Dispose.
                Pooling = false,
            }.ToString());
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
        {
            // Sundown brings its own SQLite, beside the binary: this is a binary copied
            // without it.
            throw new JournalException(
                $"cannot open the journal {path}: SQLite cannot be loaded (libe_sqlite3.so must be beside the sundown binary)", e);
        }
    }

    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // WAL: a commit is one append and one fsync of the log, and readers (a `report`
        // while a stop runs) do not block the writer. FULL: that fsync happens at every
        // commit, so a power loss right after a write loses nothing.
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            """;
        command.ExecuteNonQuery();
    }

    private void Write(Action<SqliteTransaction> write) => Write(transaction =>
    {
        write(transaction);
        return 0;
    });

    private T Write<T>(Func<SqliteTransaction, T> write)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                // Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken up front.
                using var transaction = _connection.BeginTransaction();
                T result = write(transaction);
                transaction.Commit();
                return result;
            }
            catch (SqliteException e)
            {
                throw new JournalException($"cannot write the journal {FilePath}: {e.Message}", e);
            }
        }
    }

    private T Read<T>(Func<SqliteTransaction, T> read)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                // One snapshot for all the queries of one read.
                using var transaction = _connection.BeginTransaction(deferred: true);
                return read(transaction);
            }
            catch (SqliteException e)
            {
                throw new JournalException($"cannot read the journal {FilePath}: {e.Message}", e);
            }
        }
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    private static void Bind(SqliteCommand command, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    private static void RequireRun(SqliteTransaction transaction, long run)
    {
        using var command = Command(transaction, "SELECT 1 FROM run WHERE id = $run", ("$run", run));
        if (command.ExecuteScalar() is null)
        {
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    }
}
