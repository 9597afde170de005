using System.Globalization;
using Sundown.Engine.Journaling;

namespace Sundown.Cli.Rendering;

/// <summary><c>restore-list</c>: what the next start brings back, as a table or as JSON.</summary>
internal static class RestoreListTable
{
    internal static void Write(TextWriter output, IReadOnlyList<(RestoreEntry Entry, string KeptIn)> entries)
    {
        if (entries.Count == 0)
        {
            output.WriteLine("The restore list is empty: the next start brings nothing back.");
            return;
        }

        var table = new TextTable("NAME", "HOST", "STATE", "ORDER", "STOP RUN", "STOPPED (UTC)", "KEPT IN");
        foreach (var (entry, keptIn) in entries)
        {
            table.Add(
                entry.Guest.Name,
                entry.Guest.Uri,
                entry.Guest.InitialState,
                entry.Guest.Order.ToString(CultureInfo.InvariantCulture),
                entry.StopRun.ToString(CultureInfo.InvariantCulture),
                entry.StoppedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                keptIn);
        }

        table.Write(output);
    }

    /// <summary>
    /// An array of <c>{"uri","name","uuid","state","order","stopRun","stoppedAt","keptIn"}</c>, <c>keptIn</c>
    /// <c>journal</c> or <c>guest</c> (a restore mark in the guest's metadata; its stopRun is that stop's in-memory id).
    /// </summary>
    internal static void WriteJson(TextWriter output, IReadOnlyList<(RestoreEntry Entry, string KeptIn)> entries) => JsonOutput.Write(output, json =>
    {
        json.WriteStartArray();
        foreach (var (entry, keptIn) in entries)
        {
            JsonOutput.FlushIfFull(json);
            json.WriteStartObject();
            json.WriteString("uri", entry.Guest.Uri);
            json.WriteString("name", entry.Guest.Name);
            json.WriteString("uuid", entry.Guest.Uuid);
            json.WriteString("state", entry.Guest.InitialState);
            json.WriteNumber("order", entry.Guest.Order);
            json.WriteNumber("stopRun", entry.StopRun);
            json.WriteString("stoppedAt", JsonOutput.Time(entry.StoppedAt));
            json.WriteString("keptIn", keptIn);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });
}
