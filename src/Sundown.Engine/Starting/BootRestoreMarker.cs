namespace Sundown.Engine.Starting;

/// <summary>
/// The file that says this boot's restore has been done: <c>/run/sundown/boot-restore-done</c>.
/// /run is a tmpfs, so it is gone at every boot. <c>sundown start --at-boot</c> (sundown.service's
/// ExecStart=) restores only when it creates it; a start later in the same boot (the package's
/// postinst starting the unit, <c>systemctl restart</c>) finds it and starts no guest. The
/// package's postinst creates it before it starts the unit, since on a host that booted without
/// Sundown no start has claimed this boot.
/// </summary>
public static class BootRestoreMarker
{
    /// <summary>Sundown's directory under /run, which holds watch.json too.</summary>
    public const string DefaultRunDirectory = "/run/sundown";

    /// <summary>The marker's name in the run directory. The Debian package's postinst spells it out too.</summary>
    public const string FileName = "boot-restore-done";

    /// <summary>The marker's path in <paramref name="runDirectory"/>.</summary>
    public static string PathIn(string runDirectory) => Path.Combine(runDirectory, FileName);

    /// <summary>
    /// Claims this boot's restore: creates the marker, unless it is there already.
    /// </summary>
    /// <returns>
    /// Claimed: this start is the boot's first and restores. Already: the marker was there, and this
    /// start restores nothing. Unwritable: the marker could not be written (why in
    /// <paramref name="problem"/>); the start restores, since a boot's restore must not be lost to
    /// a full or read-only /run, and it says so.
    /// </returns>
    public static BootRestoreClaim Claim(string runDirectory, out string? problem)
    {
        problem = null;
        string path = PathIn(runDirectory);
        try
        {
            // 0755 as watch.json's directory: its files say nothing secret, and doctor reads them.
            Directory.CreateDirectory(runDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            // CreateNew: two starts at once cannot both claim the boot.
            using var marker = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            return BootRestoreClaim.Claimed;
        }
        catch (IOException) when (File.Exists(path))
        {
            return BootRestoreClaim.Already;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot write {path}: {e.Message}";
            return BootRestoreClaim.Unwritable;
        }
    }
}
