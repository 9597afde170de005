namespace Sundown.Integration.Tests;

/// <summary>
/// Tests on the real fleet share one libvirtd and one set of guest names: they run one at a
/// time, never beside each other.
/// </summary>
[CollectionDefinition(nameof(FleetCollection), DisableParallelization = true)]
public sealed class FleetCollection;
