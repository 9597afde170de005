using Sundown.Core.Config;

namespace Sundown.Engine.Starting;

/// <summary>What <c>sundown start</c> was asked to do.</summary>
/// <param name="DryRun">Say what would be started, and touch nothing.</param>
public sealed record StartRequest(SundownConfig Config, IReadOnlyList<string> Uris, bool DryRun, string StateDirectory);
