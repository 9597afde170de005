using System.Collections.Immutable;
using Microsoft.Data.Sqlite;
using Sundown.Core.Hooks;
using Sundown.Engine.Hooks;

namespace Sundown.Engine.Journaling;

public sealed partial class Journal
{
    /// <summary>Records a hook once it ended (a hook is not continued: one that a crash cut short is simply not there).</summary>
    public Task RecordHookAsync(long run, HookResult hook) => WriteAsync(transaction =>
    {
        Command(transaction, """
            INSERT INTO hook (run, uri, uuid, name, kind, argv, started_at, ended_at, result, exit_code, error, output)
            VALUES ($run, $uri, $uuid, $name, $kind, $argv, $startedAt, $endedAt, $result, $exitCode, $error, $output)
            """,
            ("$run", run), ("$uri", hook.Uri), ("$uuid", hook.Uuid), ("$name", hook.Guest), ("$kind", hook.Kind.ToKey()),
            // NUL never occurs in an argv (HookCommand refuses it): a lossless separator.
            ("$argv", string.Join('\0', hook.Argv)),
            ("$startedAt", JournalTime.ToText(hook.StartedAt)), ("$endedAt", JournalTime.ToText(hook.EndedAt)),
            ("$result", hook.Result), ("$exitCode", hook.ExitCode), ("$error", hook.Error), ("$output", hook.Output))
            .ExecuteNonQuery();
    });

    /// <summary>The hooks of a run, in the order they ended.</summary>
    public IReadOnlyList<HookResult> HooksOf(long run) => Read(transaction =>
    {
        var command = Command(transaction, """
            SELECT uri, uuid, name, kind, argv, started_at, ended_at, result, exit_code, error, output
            FROM hook WHERE run = $run ORDER BY id
            """, ("$run", run));
        using var reader = command.ExecuteReader();
        var hooks = new List<HookResult>();
        while (reader.Read())
        {
            hooks.Add(new HookResult(
                HookKinds.FromKey(reader.GetString(3)) ?? HookKind.PostStop,
                Text(reader, 0),
                Text(reader, 1),
                Text(reader, 2),
                [.. reader.GetString(4).Split('\0')],
                JournalTime.Parse(reader.GetString(5)),
                JournalTime.Parse(reader.GetString(6)),
                reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8),
                Text(reader, 9),
                reader.GetString(10)));
        }

        return (IReadOnlyList<HookResult>)hooks;
    });

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
