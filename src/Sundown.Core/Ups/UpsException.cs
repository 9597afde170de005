namespace Sundown.Core.Ups;

/// <summary>A UPS could not be read.</summary>
/// <param name="Code">upsd's error word for <see cref="UpsErrorKind.Refused"/> (e.g. DATA-STALE); null otherwise.</param>
public sealed class UpsException(UpsErrorKind kind, string message, string? code = null, Exception? inner = null)
    : Exception(message, inner)
{
    public UpsErrorKind Kind { get; } = kind;

    public string? Code { get; } = code;
}
