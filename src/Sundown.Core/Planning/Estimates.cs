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

    /// <summary>
    /// How long past its tier's deadline a destroy is still waited for. libvirt destroys a QEMU
    /// guest with SIGTERM and, when QEMU has not exited 10 s later, SIGKILL; a QEMU flushing its
    /// disks takes a second or two to go. 5 s covers a QEMU that exits on SIGTERM within a few
    /// seconds; a destroy not answered by then ends the guest failed (libvirtd goes on with it),
    /// so a stop ends at most this long after its budget.
    /// </summary>
    public static readonly TimeSpan DestroyGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a short call (resume, wakeup, a state read, aborting a save) is waited for:
    /// libvirtd answers them in milliseconds, a busy one at host shutdown within a second or two;
    /// one that has not answered in 5 s is frozen, and the guest's ladder goes on without it.
    /// </summary>
    public static readonly TimeSpan CallWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What a disk-only snapshot is assumed to take without history: 0.04–0.24 s were measured on
    /// a TCG guest with a quiesce through its agent; a host at shutdown with busy disks is slower.
    /// </summary>
    /// <remarks>A property, not a field: <see cref="Default"/>, made before the fields below it, reads it.</remarks>
    public static TimeSpan DefaultSnapshot => TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a snapshot (and the pruning that follows it) is given before the first stop step:
    /// learned from the journal's past snapshot steps, else <see cref="DefaultSnapshot"/>.
    /// </summary>
    public TimeSpan Snapshot { get; init; } = DefaultSnapshot;

    public TimeSpan SaveTime(ulong memoryKiB) =>
        SaveOverhead + TimeSpan.FromSeconds(memoryKiB * 1024.0 / SaveBytesPerSecond);
}
