using System.Collections.Immutable;
using Sundown.Core.Doctor;
using Sundown.Core.Model;
using Sundown.Core.Ups;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Doctor;

/// <summary>
/// Reads the machine's side of <see cref="HostFacts"/>: files under the root, systemd's links,
/// free space, the journal. It only reads, and only what is there: systemctl is not needed
/// (nor is systemd as PID 1), and a file it may not read is reported as such, not as absent.
/// </summary>
internal static class HostFactsReader
{
    internal static FileText Read(string path)
    {
        if (!File.Exists(path))
        {
            return FileText.Absent(path);
        }

        try
        {
            return new FileText(path, File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileText(path, null, e.Message);
        }
    }

    internal static LibvirtGuestsFacts LibvirtGuests(DoctorPaths paths)
    {
        var defaults = Read(paths.EtcDefault) is { Exists: true } debian ? debian : Read(paths.Sysconfig) is { Exists: true } fedora ? fedora : FileText.Absent(paths.EtcDefault);
        var script = paths.LibvirtGuestsScripts.Select(Read).FirstOrDefault(file => file.Exists);
        const string Unit = LibvirtGuestsFacts.UnitName;
        string? link = EnablingLink(paths, Unit);
        return new LibvirtGuestsFacts(defaults, script, link, IsMasked(paths, Unit))
        {
            EnabledByPackage = link is not null && EnabledByPackage(paths, link),
            SavedList = Read(paths.LibvirtGuestsList),
        };
    }

    /// <summary>
    /// Whether a package made this enabling link at install: Debian's deb-systemd-helper keeps
    /// the same <c>TARGET.wants/UNIT</c> under its own directory for each link it made
    /// (<c>systemctl enable</c> by hand leaves no such record).
    /// </summary>
    internal static bool EnabledByPackage(DoctorPaths paths, string link)
    {
        string record = Path.Combine(paths.DebSystemdHelperEnabled, Path.GetFileName(Path.GetDirectoryName(link)!), Path.GetFileName(link));
        return File.Exists(record);
    }

    /// <summary>logind.conf and its drop-ins (*.conf of each logind.conf.d/, one in a later directory replacing one of the same name), in the order logind applies them.</summary>
    internal static ImmutableArray<FileText> Logind(DoctorPaths paths)
    {
        var byName = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string directory in paths.LogindDropInDirs)
        {
            foreach (string file in ConfFiles(directory))
            {
                byName[Path.GetFileName(file)] = file;
            }
        }

        return [Read(paths.LogindConf), .. byName.Values.Select(Read)];
    }

    /// <summary>PRETTY_NAME of os-release(5); null when it cannot be read.</summary>
    internal static string? OsName(DoctorPaths paths) =>
        Read(paths.OsRelease).Text is { } text && ShellAssignments.Parse(text).TryGetValue("PRETTY_NAME", out var name) && name.Value.Length > 0
            ? name.Value
            : null;

    internal static SundownUnitFacts SundownUnit(DoctorPaths paths, string? runningBinary)
    {
        const string Unit = SundownUnitFacts.UnitName;
        var unit = UnitDirectories(paths).Select(dir => Path.Combine(dir, Unit)).Select(Read).FirstOrDefault(file => file.Exists)
            ?? FileText.Absent(Path.Combine(paths.SystemdDir, Unit));
        string? binary = unit.Text is { } text ? SundownUnitFile.Binary(text, unit.Path) : null;
        bool binaryExists = binary is not null && File.Exists(binary);
        return new SundownUnitFacts(
            unit,
            DropIns(paths, Unit),
            EnablingLink(paths, Unit),
            IsMasked(paths, Unit),
            [Read(paths.SystemConf), .. ConfFiles(paths.SystemConf + ".d").Select(Read)],
            binary is not null && binaryExists ? Canonical(binary) : binary,
            binaryExists,
            runningBinary is null ? null : Canonical(runningBinary));
    }

    /// <summary>
    /// upsmon.conf, whether <c>sundown watch</c> is enabled, and the UPS's reading (begun by the
    /// caller, held to PowerBudget's timeout): a UPS that cannot be read is a fact, not a failure.
    /// </summary>
    internal static UpsFacts Ups(DoctorPaths paths, Task<(UpsReading? Reading, string? Error)>? reading)
    {
        const string Watch = UpsFacts.WatchUnitName;
        string? watch = IsMasked(paths, Watch) ? null : EnablingLink(paths, Watch);
        var upsmon = Read(paths.UpsmonConf);
        if (reading is null)
        {
            return new UpsFacts(null, null, upsmon, watch);
        }

        // Doctor is synchronous; the reading never throws and bounds itself (PowerBudget.TryReadAsync).
        var (ups, error) = reading.GetAwaiter().GetResult();
        return new UpsFacts(ups, error, upsmon, watch);
    }

    internal static SaveDirectory SaveDirectory(string uri, string path) => new(uri, path, AvailableBytes(path));

    /// <summary>The typical shutdown of each guest and the save speed, from the journal when there is one (it is never created here).</summary>
    internal static JournalHistory History(string stateDirectory, IEnumerable<Guest> guests)
    {
        // Without SQLite no journal can be read: sqlite-missing says so, with its fix, not
        // not-checked (whose fix, running as root, would not help).
        if (!File.Exists(Path.Combine(stateDirectory, Journal.FileName)) || Journal.SqliteLoadFailure is not null)
        {
            return JournalHistory.None;
        }

        try
        {
            using var journal = Journal.Open(stateDirectory);
            var memory = new Dictionary<string, ulong>(StringComparer.Ordinal);
            var typical = ImmutableDictionary.CreateBuilder<string, TimeSpan>(StringComparer.Ordinal);
            foreach (var guest in guests)
            {
                memory.TryAdd(guest.Uuid, guest.MemoryKiB);
                if (!typical.ContainsKey(guest.Uuid) && journal.TypicalShutdown(guest.Uuid) is { } shutdown)
                {
                    typical[guest.Uuid] = shutdown;
                }
            }

            return new JournalHistory(typical.ToImmutable(), journal.SaveBytesPerSecond(memory));
        }
        catch (JournalException e)
        {
            return new JournalHistory(ImmutableDictionary<string, TimeSpan>.Empty, null, e.Message);
        }
    }

    /// <summary>
    /// The link that enables a unit: <c>UNIT</c> in any <c>*.wants/</c> or <c>*.requires/</c>
    /// directory (multi-user.target.wants, or another target's) of /etc or a vendor directory.
    /// </summary>
    internal static string? EnablingLink(DoctorPaths paths, string unit)
    {
        foreach (string directory in UnitDirectories(paths).Where(Directory.Exists))
        {
            IEnumerable<string> targets;
            try
            {
                targets = Directory.EnumerateDirectories(directory).Where(d => d.EndsWith(".wants", StringComparison.Ordinal) || d.EndsWith(".requires", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (string target in targets)
            {
                string link = Path.Combine(target, unit);
                // A link whose target is missing here (a test root) still enables the unit.
                if (File.Exists(link) || new FileInfo(link).LinkTarget is not null)
                {
                    return link;
                }
            }
        }

        return null;
    }

    /// <summary>Masked in /etc: a link to /dev/null or an empty file, which systemd never loads.</summary>
    internal static bool IsMasked(DoctorPaths paths, string unit)
    {
        var file = new FileInfo(Path.Combine(paths.SystemdDir, unit));
        return file.LinkTarget == "/dev/null" || (file.LinkTarget is null && file.Exists && file.Length == 0);
    }

    /// <summary>Free bytes where the directory is, or would be: its nearest existing parent's filesystem.</summary>
    internal static long? AvailableBytes(string path)
    {
        try
        {
            var directory = new DirectoryInfo(path);
            while (directory is not null && !directory.Exists)
            {
                directory = directory.Parent;
            }

            // DriveInfo reads statvfs(2) of any path on Linux, not only of mount points.
            return directory is null ? null : new DriveInfo(directory.FullName).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A path with its symbolic links resolved, so that /usr/local/bin/sundown and what it links to compare equal.</summary>
    internal static string Canonical(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Path.GetFullPath(path);
        }
    }

    private static IEnumerable<string> UnitDirectories(DoctorPaths paths) => [paths.SystemdDir, .. paths.VendorSystemdDirs];

    /// <summary>A unit's drop-ins, <c>UNIT.d/*.conf</c>, ordered by file name as systemd does; one in /etc replaces a vendor one of the same name.</summary>
    private static ImmutableArray<FileText> DropIns(DoctorPaths paths, string unit)
    {
        var byName = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string directory in UnitDirectories(paths).Reverse())
        {
            foreach (string file in ConfFiles(Path.Combine(directory, unit + ".d")))
            {
                byName[Path.GetFileName(file)] = file;
            }
        }

        return [.. byName.Values.Select(Read)];
    }

    private static IEnumerable<string> ConfFiles(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetFiles(directory, "*.conf").Order(StringComparer.Ordinal) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
