using Microsoft.Data.Sqlite;

namespace Sundown.Engine.Journaling;

/// <summary>
/// The record of every run, in SQLite at <c>STATE/sundown.db</c>: runs, their guests and
/// steps, and the restore list; past steps give the planner its estimates. Every write is on
/// disk when the method returns (or its task completes): WAL with synchronous=FULL, so a run
/// killed at any moment, by a power loss too, leaves a journal that says what it was doing,
/// and the next run can continue it. Callable from many threads at once: writes that arrive
/// together are committed together (<see cref="GroupCommit{TTransaction}"/>); one connection,
/// used under a lock.
/// </summary>
public sealed partial class Journal : IDisposable
{
    /// <summary>The journal's file in the state directory.</summary>
    public const string FileName = "sundown.db";

    /// <summary>
    /// How long a caller waits for the journal to answer (a read, a synchronous write, the close):
    /// a commit takes milliseconds; past this the disk is taken to hang.
    /// </summary>
    internal static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly SqliteConnection _connection;
    private readonly GroupCommit<SqliteTransaction> _commits;

    // Prepared once, run many times (under _lock): a stop writes the same few statements
    // thousands of times, and parsing each again cost as much as running it.
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    // The records a stop writes per guest and per step go through raw statements, which
    // allocate nothing per run (see JournalStatement); the rest stays with commands.
    private readonly Dictionary<string, JournalStatement> _statements = new(StringComparer.Ordinal);
    private bool _disposed;

    private Journal(SqliteConnection connection, string path)
    {
        _connection = connection;
        FilePath = path;
        _commits = new GroupCommit<SqliteTransaction>("sundown journal", InTransaction);
    }

    public string FilePath { get; }

    /// <summary>
    /// True for a journal kept in memory (<see cref="OpenInMemory"/>): it goes with the process,
    /// so whatever must outlive the run (the restore list) has to be kept elsewhere.
    /// </summary>
    public bool IsInMemory { get; private init; }

    /// <summary>
    /// Null when the host's SQLite can be loaded; else why not, naming libsqlite3.so.0 and the fix.
    /// Without it there is no journal at all, not even in memory: the stop at shutdown then goes
    /// on without one (<c>StopRun</c>), and doctor says so.
    /// </summary>
    public static string? SqliteLoadFailure => SystemSqlite.LoadFailure;

    /// <summary>
    /// Opens the journal of a state directory, creating the directory (0700), the file and
    /// the schema as needed, and bringing an older schema up to date.
    /// </summary>
    /// <exception cref="JournalException">It cannot be created or read, or a newer Sundown wrote it.</exception>
    public static Journal Open(string stateDirectory)
    {
        StateDirectory.Create(stateDirectory);
        string path = Path.Combine(stateDirectory, FileName);
        // Created 0600 by us, never through a link: SQLite would follow one (its -wal and -shm take the file's mode).
        PrivateFile.Prepare(path, "the journal");
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

    /// <summary>The journal of the state directory, or, when it cannot be used, one in memory: for a run that must go on regardless, which says so through <paramref name="failed"/>.</summary>
    /// <remarks>The open is held to <see cref="AnswerTimeout"/>: a disk that hangs must not hold up a stop before its first guest.</remarks>
    public static Journal OpenOrInMemory(string stateDirectory, Action<JournalException> failed)
    {
        var opening = Task.Run(() => Open(stateDirectory));
        try
        {
            if (opening.Wait(AnswerTimeout))
            {
                return opening.Result;
            }

            // Given up on: if it opens after all, nobody will use it.
            _ = opening.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            failed(new JournalException($"the journal in {stateDirectory} did not open within {AnswerTimeout.TotalSeconds:0}s (a disk that hangs?)"));
        }
        catch (AggregateException e) when (e.InnerException is JournalException cannot)
        {
            failed(cannot);
        }

        return OpenInMemory();
    }

    /// <summary>
    /// A journal with the same schema in memory, for a stop whose state directory cannot be used
    /// (read-only, full, gone): the same code records the run and builds its report, and nothing
    /// of it outlives the process.
    /// </summary>
    /// <exception cref="JournalException">SQLite itself cannot be loaded.</exception>
    public static Journal OpenInMemory()
    {
        const string path = ":memory:";
        var connection = Connect(path);
        try
        {
            connection.Open();
            Configure(connection);
            Migrate(connection, path);
            return new Journal(connection, path) { IsInMemory = true };
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new JournalException($"cannot open a journal in memory: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Starts a run; its id is what every later call about it takes.</summary>
    /// <param name="only">The names a stop with <c>--only</c> was limited to; null for a whole-host run.</param>
    public long BeginRun(RunKind kind, DateTimeOffset startedAt, TimeSpan? budget, IEnumerable<string>? only = null) => Write(transaction =>
    {
        var command = Command(transaction,
            "INSERT INTO run (kind, started_at, budget_seconds) VALUES ($kind, $startedAt, $budget) RETURNING id",
            ("$kind", kind.ToWord()), ("$startedAt", JournalTime.ToText(startedAt)), ("$budget", budget?.TotalSeconds));
        long run = (long)command.ExecuteScalar()!;
        foreach (string name in only?.Distinct(StringComparer.Ordinal) ?? [])
        {
            Command(transaction, "INSERT INTO run_only (run, name) VALUES ($run, $name)", ("$run", run), ("$name", name)).ExecuteNonQuery();
        }

        return run;
    });

    /// <summary>
    /// Records the run's guests, all in one transaction, before its first step: the restore
    /// list is what they were when the run began. A guest recorded again for the same run
    /// (a continued run) keeps its first record.
    /// </summary>
    public void RecordGuests(long run, IEnumerable<RunGuestRecord> guests) => Write(transaction =>
    {
        RequireRun(transaction, run);
        var statement = Statement("""
            INSERT INTO run_guest (run, uri, uuid, name, initial_state, start_order, restore, outcome, seconds)
            VALUES ($run, $uri, $uuid, $name, $initialState, $order, $restore, $outcome, $seconds)
            ON CONFLICT (run, uri, uuid) DO NOTHING
            """);
        statement.Bind("$run", run);
        foreach (var guest in guests)
        {
            statement.Bind("$uri", guest.Uri);
            statement.Bind("$uuid", guest.Uuid);
            statement.Bind("$name", guest.Name);
            statement.Bind("$initialState", guest.InitialState);
            statement.Bind("$order", guest.Order);
            statement.Bind("$restore", guest.Restore ? 1 : 0);
            statement.Bind("$outcome", guest.Outcome?.ToWord());
            statement.Bind("$seconds", guest.Seconds);
            statement.ExecuteNonQuery();
        }
    });

    /// <summary>Records a step before it is taken, so a crash during it leaves it open in the journal.</summary>
    /// <returns>The step's id, for <see cref="StepEnded"/>.</returns>
    public long StepStarted(long run, string uri, string uuid, string action, DateTimeOffset at) =>
        Wait(StepStartedAsync(run, uri, uuid, action, at));

    /// <inheritdoc cref="StepStarted"/>
    public Task<long> StepStartedAsync(long run, string uri, string uuid, string action, DateTimeOffset at) => WriteAsync(_ =>
    {
        var statement = Statement("INSERT INTO step (run, uri, uuid, action, started_at) VALUES ($run, $uri, $uuid, $action, $at) RETURNING id");
        statement.Bind("$run", run);
        statement.Bind("$uri", uri);
        statement.Bind("$uuid", uuid);
        statement.Bind("$action", action);
        statement.Bind("$at", at);
        try
        {
            return statement.ExecuteInt64()!.Value;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == JournalStatement.ForeignKeyViolation)
        {
            // The foreign key checks the run, in the same statement (a failed statement
            // changes nothing), instead of a SELECT before every step.
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    });

    /// <summary>Records how a step ended, after it ended.</summary>
    public void StepEnded(long step, DateTimeOffset at, StepResult result, string? error) =>
        Wait(StepEndedAsync(step, at, result, error));

    /// <inheritdoc cref="StepEnded"/>
    public Task StepEndedAsync(long step, DateTimeOffset at, StepResult result, string? error) => WriteAsync(_ =>
    {
        var statement = Statement("UPDATE step SET ended_at = $at, result = $result, error = $error WHERE id = $id");
        statement.Bind("$id", step);
        statement.Bind("$at", at);
        statement.Bind("$result", result.ToWord());
        statement.Bind("$error", error);
        if (statement.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"step {step} is not in the journal", nameof(step));
        }
    });

    /// <summary>Records a guest's outcome in the run; the guest must have been recorded with <see cref="RecordGuests"/>.</summary>
    public void GuestFinished(long run, string uri, string uuid, GuestOutcome outcome, double seconds) =>
        Wait(GuestFinishedAsync(run, uri, uuid, outcome, seconds));

    /// <inheritdoc cref="GuestFinished"/>
    public Task GuestFinishedAsync(long run, string uri, string uuid, GuestOutcome outcome, double seconds) => WriteAsync(_ =>
    {
        var statement = Statement("UPDATE run_guest SET outcome = $outcome, seconds = $seconds WHERE run = $run AND uri = $uri AND uuid = $uuid");
        statement.Bind("$run", run);
        statement.Bind("$uri", uri);
        statement.Bind("$uuid", uuid);
        statement.Bind("$outcome", outcome.ToWord());
        statement.Bind("$seconds", seconds);
        if (statement.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"guest {uuid} on {uri} was not recorded for run {run}", nameof(uuid));
        }
    });

    /// <summary>
    /// Sets a run's budget: a continued stop runs with the new request's budget from the moment it
    /// picks the run up, so the run's whole budget (what its window and its report count) becomes
    /// the time already spent plus that. Null for no overall deadline.
    /// </summary>
    public void SetRunBudget(long run, TimeSpan? budget) => Write(transaction =>
    {
        var command = Command(transaction,
            "UPDATE run SET budget_seconds = $budget WHERE id = $run",
            ("$run", run), ("$budget", budget?.TotalSeconds));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    });

    /// <summary>Closes a run: from now on it is history, not something to continue.</summary>
    public void FinishRun(long run, DateTimeOffset at, int exitCode) => Write(transaction =>
    {
        var command = Command(transaction,
            "UPDATE run SET finished_at = $at, exit_code = $exitCode WHERE id = $run",
            ("$run", run), ("$at", JournalTime.ToText(at)), ("$exitCode", exitCode));
        if (command.ExecuteNonQuery() == 0)
        {
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    });

    /// <summary>Waits for the writes already handed over to be committed, then closes the file.</summary>
    public void Dispose()
    {
        // A journal whose commit thread hangs (a disk stuck in fsync) is left as it is: the
        // process must be able to finish its report and exit, and the kernel closes the file.
        if (!_commits.Dispose(AnswerTimeout) || !_lock.TryEnter(AnswerTimeout))
        {
            return;
        }

        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }

            _connection.Dispose();
        }
        finally
        {
            _lock.Exit();
        }
    }

    private static SqliteConnection Connect(string path)
    {
        // The host's SQLite (the package depends on libsqlite3-0): missing or broken on a binary
        // copied to a host without it, or a package installed with --force-depends.
        try
        {
            SystemSqlite.EnsureLoaded();
        }
        catch (JournalException e)
        {
            throw new JournalException($"cannot open the journal {path}: {e.Message}", e);
        }

        try
        {
            return NewConnection(path);
        }
        catch (TypeInitializationException e)
        {
            // Microsoft.Data.Sqlite's static set-up, which looks for a bundled SQLite when no
            // provider was set: not expected once EnsureLoaded succeeded, but the same fault.
            throw new JournalException($"cannot open the journal {path}: SQLite cannot be set up ({e.InnerException?.Message ?? e.Message}): {SystemSqlite.Fix}", e);
        }
    }

    private static SqliteConnection NewConnection(string path) =>
        new(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // One connection for the journal's life: a pool would only keep the file
            // open after Dispose.
            Pooling = false,
            // How long a statement retries while another process holds the database's lock
            // (the default is 30 s): only a foreign writer can, since another sundown would
            // hold the state lock. Past it the journal is reported unusable and a stop goes
            // on in memory, instead of spending its budget waiting.
            DefaultTimeout = 2,
        }.ToString());

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

    private void Write(Action<SqliteTransaction> write) => Wait(WriteAsync(write));

    private T Write<T>(Func<SqliteTransaction, T> write) => Wait(WriteAsync(write));

    private Task WriteAsync(Action<SqliteTransaction> write) => WriteAsync(transaction =>
    {
        write(transaction);
        return true;
    });

    /// <summary>
    /// Hands a write to the group commit; the task completes when the write is durable. A write
    /// that refuses (its run or step is not in the journal) throws ArgumentException before it
    /// changes anything, so it fails alone; any other failure (SQLite's) fails its whole batch.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<SqliteTransaction, T> write)
    {
        try
        {
            return _commits.Enqueue(write);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(GetType().FullName);
        }
    }

    /// <summary>One batch of the group commit: one transaction, one commit, one fsync.</summary>
    private void InTransaction(Action<SqliteTransaction> applyBatch)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                // Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken up front.
                using var transaction = _connection.BeginTransaction();
                applyBatch(transaction);
                transaction.Commit();
            }
            catch (SqliteException e)
            {
                throw CannotWrite(e);
            }
        }
    }

    private JournalException CannotWrite(SqliteException e) => new($"cannot write the journal {FilePath}: {e.Message}", e);

    /// <summary>
    /// For the synchronous callers: blocks until the write is committed, and throws its exception
    /// as it is; a write not committed within <see cref="AnswerTimeout"/> is a stalled journal.
    /// </summary>
    private T Wait<T>(Task<T> write)
    {
        WaitBounded(write);
        return write.GetAwaiter().GetResult();
    }

    private void Wait(Task write)
    {
        WaitBounded(write);
        write.GetAwaiter().GetResult();
    }

    private void WaitBounded(Task write)
    {
        bool done;
        try
        {
            done = write.Wait(AnswerTimeout);
        }
        catch (AggregateException)
        {
            // Its own failure: GetResult throws it as it is.
            done = true;
        }

        if (!done)
        {
            throw Stalled();
        }
    }

    /// <summary>
    /// The journal did not answer: a disk that hangs in fsync (a dying disk, an NFS server gone)
    /// holds the commit thread, and with it the lock. A stop goes on without it (in memory).
    /// </summary>
    private JournalException Stalled() =>
        new($"the journal {FilePath} did not answer within {AnswerTimeout.TotalSeconds:0}s (a disk that hangs?)");

    private T Read<T>(Func<SqliteTransaction, T> read)
    {
        // Bounded: the commit thread holds the lock through its fsync, which may never return.
        if (!_lock.TryEnter(AnswerTimeout))
        {
            throw Stalled();
        }

        try
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
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>
    /// The prepared command for this SQL, bound to the transaction and the values given. It is
    /// the journal's, not the caller's: never disposed by the caller, and not run again while
    /// a reader of it is still open. Called only under <c>_lock</c>.
    /// </summary>
    private SqliteCommand Command(SqliteTransaction transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        command.Transaction = transaction;
        Bind(command, parameters);
        return command;
    }

    /// <summary>The raw statement for this SQL, prepared on first use; like <see cref="Command"/>, the journal's own. Called only under <c>_lock</c>.</summary>
    private JournalStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new JournalStatement(_connection, sql);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>Sets the command's parameters; those of a command run before are reused, not added again.</summary>
    private static void Bind(SqliteCommand command, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            int index = command.Parameters.IndexOf(name);
            if (index >= 0)
            {
                command.Parameters[index].Value = value ?? DBNull.Value;
            }
            else
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
        }
    }

    private void RequireRun(SqliteTransaction transaction, long run)
    {
        var command = Command(transaction, "SELECT 1 FROM run WHERE id = $run", ("$run", run));
        if (command.ExecuteScalar() is null)
        {
            throw new ArgumentException($"run {run} is not in the journal", nameof(run));
        }
    }
}
