namespace Sundown.Cli;

/// <summary>The exit statuses of DESIGN.md; scripts and systemd rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>Success; for stop, every guest ended gracefully (shut off or saved).</summary>
    internal const int Ok = 0;

    /// <summary>An internal error, or a host that could not be reached.</summary>
    internal const int Error = 1;

    /// <summary>Bad usage or configuration: nothing was touched.</summary>
    internal const int Usage = 2;

    /// <summary>Every guest ended, some forced off.</summary>
    internal const int SomeForced = 3;

    /// <summary>Some guest could not be stopped.</summary>
    internal const int SomeFailed = 4;

    /// <summary>Interrupted by SIGINT or SIGTERM.</summary>
    internal const int Interrupted = 130;
}
