namespace Sundown.Engine.Starting;

/// <summary>What <see cref="BootRestoreMarker.Claim"/> found.</summary>
public enum BootRestoreClaim
{
    /// <summary>This start created the marker: it is the boot's first, and restores.</summary>
    Claimed,

    /// <summary>The marker was there: this boot's restore was done (or the package said not to), and nothing is started.</summary>
    Already,

    /// <summary>The marker could not be written: the start restores anyway, and says so.</summary>
    Unwritable,
}
