namespace Sundown.Engine.Journaling;

/// <summary>One guest on the restore list, with the stop that put it there.</summary>
/// <param name="StopRun">The stop's run id (for a mark in a guest's metadata: the id that stop had, in its own journal).</param>
/// <param name="StoppedAt">When that stop began: of two entries for one guest, the newer wins.</param>
public sealed record RestoreEntry(long StopRun, DateTimeOffset StoppedAt, RunGuestRecord Guest);
