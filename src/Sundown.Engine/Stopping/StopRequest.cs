using Sundown.Core.Config;

namespace Sundown.Engine.Stopping;

/// <summary>What <c>sundown stop</c> was asked to do.</summary>
/// <param name="Budget">The whole stop's time; null for no overall deadline.</param>
/// <param name="Only">Stop only the guests of these names; null for all.</param>
public sealed record StopRequest(SundownConfig Config, IReadOnlyList<string> Uris, TimeSpan? Budget, IReadOnlyCollection<string>? Only, string StateDirectory);
