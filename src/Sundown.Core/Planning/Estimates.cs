namespace Sundown.Core.Planning;

/// <summary>What the planner assumes about how long things take.</summary>
/// <param name="SaveBytesPerSecond">Managed-save speed of one guest; from past runs in the journal, else a conservative default.</param>
public sealed record Estimates(double SaveBytesPerSecond)
{
    /// <summary>
    /// 100 MiB/s: a tiny guest saved at ~200 MB/s on the development machine's disk, a busy
    /// host's disk is slower; past runs replace this with what the host really did.
    /// </summary>
    public static Estimates Default { get; } = new(100.0 * 1024 * 1024);

    /// <summary>What every save costs beyond copying memory: pausing, writing the header, stopping QEMU.</summary>
    public static readonly TimeSpan SaveOverhead = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Kept free before each tier's deadline for the destroys: QEMU takes a fraction of a second
    /// to go once killed, and nothing may still be running at the deadline.
    /// </summary>
    public static readonly TimeSpan DestroyAllowance = TimeSpan.FromSeconds(1);

    public TimeSpan SaveTime(ulong memoryKiB) =>
        SaveOverhead + TimeSpan.FromSeconds(memoryKiB * 1024.0 / SaveBytesPerSecond);
}
