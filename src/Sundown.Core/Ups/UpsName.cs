using System.Globalization;

namespace Sundown.Core.Ups;

/// <summary>A UPS as NUT's upsd serves it: <c>NAME@HOST[:PORT]</c>, as upsc and upsmon.conf write it.</summary>
/// <param name="Host">A host name or address; an IPv6 address is written in brackets (<c>ups@[::1]:3493</c>).</param>
public sealed record UpsName(string Ups, string Host, int Port)
{
    /// <summary>upsd's port (IANA's "nut").</summary>
    public const int DefaultPort = 3493;

    /// <summary>Parses <c>NAME@HOST[:PORT]</c>; null with a reason when the text is not one.</summary>
    public static UpsName? TryParse(string text, out string? error)
    {
        error = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == text.Length - 1)
        {
            error = $"'{text}' is not a UPS (expected NAME@HOST[:PORT], e.g. myups@localhost:3493)";
            return null;
        }

        string ups = text[..at];
        string rest = text[(at + 1)..];
        string host = rest;
        int port = DefaultPort;
        bool bracketed = rest.StartsWith('[');
        int colon = bracketed ? rest.IndexOf("]:", StringComparison.Ordinal) + 1 : rest.LastIndexOf(':');
        // Unbracketed, a second colon means an IPv6 address whose last group would be read as the port.
        if ((bracketed && !rest.EndsWith(']') && colon <= 0) || (!bracketed && rest.IndexOf(':') != colon))
        {
            error = $"'{text}': an IPv6 address is written in brackets, e.g. myups@[::1]:3493";
            return null;
        }

        if (colon > 0)
        {
            host = rest[..colon];
            if (!int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"'{text}': '{rest[(colon + 1)..]}' is not a port (1-65535)";
                return null;
            }
        }

        host = bracketed ? host[1..^1] : host;
        // upsd's names are single tokens of its protocol: no spaces, quotes or control characters;
        // a host is one name or address (brackets only around an IPv6 one, no second '@').
        if (ups.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\\')
            || host.Length == 0
            || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '@' or '[' or ']' or '"' or '\\'))
        {
            error = $"'{text}' is not a UPS: the name and host are single words";
            return null;
        }

        return new UpsName(ups, host, port);
    }

    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"{Ups}@[{Host}]:{Port}" : $"{Ups}@{Host}:{Port}";
}
