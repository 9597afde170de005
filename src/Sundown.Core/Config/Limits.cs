namespace Sundown.Core.Config;

/// <summary>How many steps of each kind run at once; 0 means no limit.</summary>
/// <param name="Saves">Managed saves at once: QEMU, not the disk, is the limit (4 saves of 96 MiB took 2.4 s together, 8.3 s one by one).</param>
public sealed record Limits(int Shutdowns, int Saves, int Starts)
{
    public static Limits Default { get; } = new(Shutdowns: 0, Saves: 4, Starts: 4);
}
