using Microsoft.Data.Sqlite;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Journaling;

// The package depends on libsqlite3-0 and ships no SQLite of its own: the journal must run on
// the host's libsqlite3.so.0.
public sealed class SystemSqliteTests
{
    [Fact]
    public void The_journal_runs_on_the_hosts_libsqlite3()
    {
        using var journal = Journal.OpenInMemory();

        var mapped = File.ReadAllLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6)
            .Select(fields => Path.GetFileName(fields[5]))
            .Distinct()
            .ToList();
        Assert.Contains(mapped, name => name.StartsWith("libsqlite3.so.0", StringComparison.Ordinal));
        Assert.DoesNotContain(mapped, name => name.Contains("e_sqlite3", StringComparison.Ordinal));
    }

    [Fact]
    public void Sqlite_answers_through_the_system_library()
    {
        SystemSqlite.EnsureLoaded();
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";

        var version = (string)command.ExecuteScalar()!;

        Assert.Matches(@"^3\.\d+\.\d+$", version);
        Assert.Equal(SQLitePCL.raw.sqlite3_libversion().utf8_to_string(), version);
    }
}
