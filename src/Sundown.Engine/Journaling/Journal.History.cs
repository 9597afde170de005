using Microsoft.Data.Sqlite;
using Sundown.Core.Policy;

namespace Sundown.Engine.Journaling;

public sealed partial class Journal
{
    /// <summary>How many recent saves the save speed is judged on.</summary>
    private const int RecentSaves = 20;

    /// <summary>How many recent graceful shutdowns a guest's typical shutdown is judged on.</summary>
    private const int RecentShutdowns = 5;

    /// <summary>
    /// The managed-save speed this host has shown: of the last 20 successful saves of guests
    /// whose memory is given, the slowest memory ÷ duration, in bytes per second. The
    /// slowest, because a plan that counts on a fast save destroys the guest when the save
    /// runs late. Null with no such save.
    /// </summary>
    /// <param name="memoryKiBByUuid">Each guest's memory, by UUID (from the inventory).</param>
    public double? SaveBytesPerSecond(IReadOnlyDictionary<string, ulong> memoryKiBByUuid) => Read(transaction =>
    {
        var command = Command(transaction, """
            SELECT uuid, started_at, ended_at FROM step
            WHERE action = $save AND result = $ok AND ended_at IS NOT NULL
            ORDER BY id DESC
            """,
            ("$save", StepKind.Save.ToName()), ("$ok", StepResult.Ok.ToWord()));
        using var reader = command.ExecuteReader();
        double? slowest = null;
        int counted = 0;
        while (counted < RecentSaves && reader.Read())
        {
            if (!memoryKiBByUuid.TryGetValue(reader.GetString(0), out ulong memoryKiB) || memoryKiB == 0)
            {
                continue;
            }

            double seconds = (JournalTime.Parse(reader.GetString(2)) - JournalTime.Parse(reader.GetString(1))).TotalSeconds;
            if (seconds <= 0)
            {
                // The clock was set back during the save: no measure.
                continue;
            }

            double bytesPerSecond = memoryKiB * 1024.0 / seconds;
            slowest = Math.Min(slowest ?? double.MaxValue, bytesPerSecond);
            counted++;
        }

        return slowest;
    });

    /// <summary>
    /// How long this guest takes to shut down when asked: the longest of its last five
    /// successful agent or ACPI shutdowns. Null if it has none.
    /// </summary>
    public TimeSpan? TypicalShutdown(string uuid) => Read(transaction =>
    {
        var command = Command(transaction, """
            SELECT started_at, ended_at FROM step
            WHERE uuid = $uuid AND action IN ($agent, $acpi) AND result = $ok AND ended_at IS NOT NULL
            ORDER BY id DESC LIMIT $limit
            """,
            ("$uuid", uuid), ("$agent", StepKind.Agent.ToName()), ("$acpi", StepKind.Acpi.ToName()),
            ("$ok", StepResult.Ok.ToWord()), ("$limit", RecentShutdowns));
        return LongestStep(command);
    });

    /// <summary>The longest of the steps a query of (started_at, ended_at) rows finds; null if none.</summary>
    private static TimeSpan? LongestStep(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        TimeSpan? longest = null;
        while (reader.Read())
        {
            var duration = JournalTime.Parse(reader.GetString(1)) - JournalTime.Parse(reader.GetString(0));
            if (duration >= TimeSpan.Zero && (longest is null || duration > longest))
            {
                longest = duration;
            }
        }

        return longest;
    }
}
