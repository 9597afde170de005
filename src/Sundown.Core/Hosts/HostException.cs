namespace Sundown.Core.Hosts;

/// <summary>A call to a host failed. <see cref="Kind"/> is what callers decide on.</summary>
public class HostException(HostErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public HostErrorKind Kind { get; } = kind;
}
