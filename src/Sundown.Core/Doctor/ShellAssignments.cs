using System.Collections.Immutable;

namespace Sundown.Core.Doctor;

/// <summary>
/// The top-level <c>NAME=value</c> assignments of a shell file (libvirt-guests' settings and
/// script), as sourcing it leaves them: the last one wins. Only assignments at the start of a
/// line count: an indented one sits in a function or a case branch (libvirt-guests.sh sets
/// ON_SHUTDOWN=shutdown for its <c>shutdown</c> command) and is not a default.
/// </summary>
public static class ShellAssignments
{
    public static ImmutableDictionary<string, ShellAssignment> Parse(string text)
    {
        var assignments = ImmutableDictionary.CreateBuilder<string, ShellAssignment>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !IsName(line.AsSpan(0, equals)))
            {
                continue;
            }

            string name = line[..equals];
            assignments[name] = new ShellAssignment(name, Value(line[(equals + 1)..]), i + 1);
        }

        return assignments.ToImmutable();
    }

    private static bool IsName(ReadOnlySpan<char> name) =>
        (char.IsAsciiLetter(name[0]) || name[0] == '_') && !name.ContainsAnyExcept(s_nameChars);

    private static readonly System.Buffers.SearchValues<char> s_nameChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

    // One word: quoted (its quotes removed) or bare up to a blank, ';' or comment.
    private static string Value(string rest)
    {
        if (rest.Length > 0 && rest[0] is '"' or '\'')
        {
            int close = rest.IndexOf(rest[0], 1);
            return close > 0 ? rest[1..close] : rest[1..];
        }

        int end = rest.IndexOfAny([' ', '\t', ';', '#']);
        return end < 0 ? rest : rest[..end];
    }
}
