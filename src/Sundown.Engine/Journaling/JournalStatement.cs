using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sundown.Engine.Journaling;

/// <summary>
/// One prepared SQLite statement on the journal's connection, run through SQLitePCLRaw (the
/// library Microsoft.Data.Sqlite itself calls) rather than through a <see cref="SqliteCommand"/>.
/// For the records a stop writes thousands of times: a command allocates a data reader,
/// a statement enumerator and a binder per parameter at every run (~1.5 KB a statement,
/// ~18 MB for a 5,000-guest stop), where this binds values in place and allocates nothing.
/// Failures throw <see cref="SqliteException"/>, as a command's do.
/// </summary>
/// <remarks>
/// Used only under the journal's lock, inside a transaction begun on the same connection
/// (a raw statement takes part in it like any other), and always reset after a run, so the
/// commit never finds it still active.
/// </remarks>
internal sealed class JournalStatement : IDisposable
{
    /// <summary>SQLITE_CONSTRAINT_FOREIGNKEY: the row names a run (or step) that is not there.</summary>
    internal const int ForeignKeyViolation = 787;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly Dictionary<string, int> _parameters = new(StringComparer.Ordinal);

    internal JournalStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        Check(rc);
        for (int i = 1; i <= raw.sqlite3_bind_parameter_count(_statement); i++)
        {
            _parameters.Add(raw.sqlite3_bind_parameter_name(_statement, i).utf8_to_string(), i);
        }
    }

    internal void Bind(string name, long value) => Check(raw.sqlite3_bind_int64(_statement, _parameters[name], value));

    internal void Bind(string name, double? value) =>
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, _parameters[name], v) : raw.sqlite3_bind_null(_statement, _parameters[name]));

    internal void Bind(string name, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, _parameters[name]) : BindText(_parameters[name], value));

    /// <summary>A time as <see cref="JournalTime"/> writes it, formatted on the stack.</summary>
    internal void Bind(string name, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[JournalTime.TextLength];
        Check(raw.sqlite3_bind_text16(_statement, _parameters[name], JournalTime.Format(time, text)));
    }

    /// <summary>Runs the statement to its end; returns the first column of its first row, if it returned one.</summary>
    internal long? ExecuteInt64()
    {
        try
        {
            int rc = raw.sqlite3_step(_statement);
            long? first = null;
            while (rc == raw.SQLITE_ROW)
            {
                first ??= raw.sqlite3_column_int64(_statement, 0);
                rc = raw.sqlite3_step(_statement);
            }

            Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc);
            return first;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Runs the statement; returns how many rows it changed.</summary>
    internal int ExecuteNonQuery()
    {
        ExecuteInt64();
        return raw.sqlite3_changes(_db);
    }

    public void Dispose() => _statement.Dispose();

    private int BindText(int index, string value) =>
        // An empty span is a null pointer, which SQLite would bind as NULL, not as ''.
        value.Length == 0 ? raw.sqlite3_bind_text(_statement, index, "") : raw.sqlite3_bind_text16(_statement, index, value.AsSpan());

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
