namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// Virtual-time tests with a side task that must keep up with the clock (the UPS follower beside
/// a stop, watch's loop): run alone, after the others. <see cref="VirtualClock"/> settles on queued
/// work, not on a continuation a busy thread pool holds back, and beside other test classes 40 s
/// of virtual time once passed before the follower's first reading ended (CI, 2026-12-02).
/// </summary>
[CollectionDefinition(nameof(AloneCollection), DisableParallelization = true)]
public sealed class AloneCollection;
