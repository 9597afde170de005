using Sundown.Core.Model;

namespace Sundown.Cli.Rendering;

/// <summary>The human-readable <c>list</c> output.</summary>
internal static class GuestTable
{
    internal static void Write(TextWriter output, IReadOnlyList<Guest> guests, bool showHost)
    {
        if (guests.Count == 0)
        {
            output.WriteLine("No guests.");
            return;
        }

        string[] headers = ["NAME", "STATE", "MEMORY", "VCPUS", "OS", "NOTES"];
        var table = new TextTable(showHost ? ["HOST", .. headers] : headers);
        foreach (var guest in guests)
        {
            string[] cells =
            [
                TextTable.Printable(guest.Name),
                guest.State.ToContractName(),
                FormatMemory(guest.MemoryKiB),
                guest.Vcpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ShortOs(guest.Os),
                Notes(guest),
            ];
            table.Add(showHost ? [guest.Uri, .. cells] : cells);
        }

        table.Write(output);
    }

    private static string FormatMemory(ulong kib) =>
        kib >= 1024 * 1024 && kib % (1024 * 1024) == 0 ? $"{kib / (1024 * 1024)} GiB" : $"{kib / 1024} MiB";

    // libosinfo ids are URLs; the host part says nothing an operator needs in a table.
    private static string ShortOs(string? os) =>
        os is null ? "-" : os.Replace("http://", "", StringComparison.Ordinal).Replace("https://", "", StringComparison.Ordinal);

    private static string Notes(Guest guest)
    {
        var notes = new List<string>();
        if (!guest.Persistent)
        {
            notes.Add("transient");
        }

        if (guest.Autostart)
        {
            notes.Add("autostart");
        }

        if (guest.ManagedSave)
        {
            notes.Add("saved");
        }

        return notes.Count == 0 ? "-" : string.Join(",", notes);
    }
}
