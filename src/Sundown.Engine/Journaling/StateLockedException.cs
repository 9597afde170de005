namespace Sundown.Engine.Journaling;

/// <summary>Another process holds the state directory's lock: only one run at a time may act on the guests.</summary>
public sealed class StateLockedException(string stateDirectory, int? pid)
    : Exception(pid is { } holder
        ? $"another sundown (pid {holder}) is running on {stateDirectory}"
        : $"another sundown is running on {stateDirectory}")
{
    public string StateDirectory { get; } = stateDirectory;

    /// <summary>The holder's process id as it wrote it in the lock file; null if it could not be read.</summary>
    public int? Pid { get; } = pid;
}
