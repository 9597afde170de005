namespace Sundown.Testing;

/// <summary>
/// What the tests share about <c>tests/fleet/fleet.sh</c>, on this machine's libvirtd or inside a
/// whole host: its setup (packages, the guests' kernel and initramfs) and its <c>up</c> protocol.
/// </summary>
internal static class FleetScript
{
    internal static string Path => System.IO.Path.Combine(Repository.Root, "tests", "fleet", "fleet.sh");

    /// <summary>One guest as <c>fleet.sh up</c> prints it: UUID, name, serial log (a path on the host that runs it).</summary>
    internal sealed record UpGuest(string Uuid, string Name, string SerialLog);

    /// <summary>Skips (or, in CI, fails) unless this machine can run fleet guests and the published binary.</summary>
    internal static async Task RequireSetupAsync()
    {
        Requires.Root();
        Requires.File(Repository.SundownBinary, "run scripts/publish.sh first");
        var setup = await ProcessRunner.RunAsync(Path, ["setup"], timeout: TimeSpan.FromMinutes(10));
        Requires.That(setup.ExitCode == 0, $"fleet.sh setup failed: {setup.Error}");
    }

    /// <summary><c>fleet.sh up</c>'s standard input: one "NAME\tOPTIONS" line per guest.</summary>
    internal static string Spec(IEnumerable<string> specLines) => string.Join('\n', specLines) + "\n";

    /// <summary>Where <c>fleet.sh up</c> puts the disk of a guest with the option <c>disk</c> (on the host that runs it).</summary>
    internal static string DiskPath(string uuid) => System.IO.Path.Combine("/var/lib/sundown-fleet", uuid, "disk.qcow2");

    /// <summary>
    /// <c>fleet.sh disk-check</c>'s verdict: whether the filesystem is clean (fsck finds nothing,
    /// the journal needs no recovery, the records are one sequence) and the last complete record.
    /// </summary>
    internal sealed record DiskCheck(bool Clean, long Last);

    /// <summary>Reads <c>fleet.sh disk-check</c>'s one line: "clean" or "dirty", TAB, the last record.</summary>
    internal static DiskCheck ParseDiskCheck(string output)
    {
        string[] parts = output.Trim().Split('\t');
        if (parts.Length != 2 || parts[0] is not ("clean" or "dirty") || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out long last))
        {
            throw new FormatException($"not a disk-check line: '{output}'");
        }

        return new DiskCheck(parts[0] == "clean", last);
    }

    /// <summary>
    /// The last record a disk guest's writer announced on its serial console ("guest: synced N"):
    /// from then on record N is on the disk. 0 if none yet. Kernel messages may share a line.
    /// </summary>
    internal static long LastSynced(string serialLog) =>
        System.Text.RegularExpressions.Regex.Matches(serialLog, @"guest: synced (\d+)")
            .Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Max();

    /// <summary>Reads <c>fleet.sh up</c>'s output: UUID, TAB, name, TAB, serial log per line.</summary>
    internal static IReadOnlyList<UpGuest> ParseUp(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(parts => new UpGuest(parts[0], parts[1], parts[2]))];
}
