namespace Sundown.Engine.Reports;

/// <summary>The exit statuses of DESIGN.md; scripts and systemd rely on them.</summary>
public static class ExitCodes
{
    /// <summary>Success; for stop, every guest ended gracefully (shut off or saved).</summary>
    public const int Ok = 0;

    /// <summary>An internal error; for list and plan, some host could not be reached (what could be read is printed).</summary>
    public const int Error = 1;

    /// <summary>Bad usage or configuration: nothing was touched.</summary>
    public const int Usage = 2;

    /// <summary>Every guest ended, some forced off.</summary>
    public const int SomeForced = 3;

    /// <summary>Some guest could not be stopped (or started), a host's unreachable guests included.</summary>
    public const int SomeFailed = 4;

    /// <summary>Interrupted by SIGINT or SIGTERM.</summary>
    public const int Interrupted = 130;
}
