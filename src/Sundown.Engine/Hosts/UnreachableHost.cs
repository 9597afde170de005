namespace Sundown.Engine.Hosts;

/// <summary>A host that did not answer its open: refused, failed, or silent past the connect timeout.</summary>
/// <param name="Uri">The URI as it was given.</param>
/// <param name="Message">Why, for the operator.</param>
public sealed record UnreachableHost(string Uri, string Message);
