using System.Collections.Immutable;
using System.Text;
using Sundown.Core.Ups;

namespace Sundown.Nut;

/// <summary>
/// One line of upsd's replies, split into words as NUT's protocol has them: separated by spaces,
/// a word in double quotes may hold spaces, and inside quotes <c>\"</c> and <c>\\</c> stand for
/// a quote and a backslash (docs/net-protocol.txt of NUT).
/// </summary>
internal static class NutLine
{
    /// <exception cref="UpsException">An unterminated quote or a stray escape: not NUT's protocol.</exception>
    internal static ImmutableArray<string> Split(string line)
    {
        var words = ImmutableArray.CreateBuilder<string>();
        var word = new StringBuilder();
        int i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }

            word.Clear();
            if (line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw Garbage(line, "a quoted value has no closing quote");
                    }

                    char c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i >= line.Length)
                        {
                            throw Garbage(line, "a backslash ends the line");
                        }

                        c = line[i++];
                    }

                    word.Append(c);
                }

                if (i < line.Length && line[i] != ' ')
                {
                    throw Garbage(line, "a quoted value runs into the next word");
                }
            }
            else
            {
                while (i < line.Length && line[i] != ' ')
                {
                    word.Append(line[i++]);
                }
            }

            words.Add(word.ToString());
        }

        return words.ToImmutable();
    }

    /// <summary>An argument as upsd reads it: in double quotes, with <c>\"</c> and <c>\\</c> for a quote and a backslash.</summary>
    internal static string Quote(string word) =>
        "\"" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    internal static UpsException Garbage(string line, string problem) =>
        new(UpsErrorKind.Garbage, $"not NUT's protocol ({problem}): '{Shorten(line)}'");

    /// <summary>A line as it may be quoted in a message: printable and short.</summary>
    internal static string Shorten(string line)
    {
        var text = new string([.. line.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
        return line.Length > 80 ? text + "…" : text;
    }
}
