using System.Collections.Immutable;

namespace Sundown.Core.Doctor;

/// <summary>
/// A libvirt daemon config file (<c>qemu.conf</c>), read the way libvirt's virConf reads it:
/// <c>key = value</c> lines, <c>#</c> comments, values that are quoted strings (<c>"…"</c>,
/// <c>'…'</c>, or <c>"""…"""</c> over several lines), whole numbers, or <c>[ … ]</c> arrays that
/// may span lines. When a key is set twice, libvirt uses the first (virConfGetValue walks the
/// entries in file order), and so does <see cref="Find"/>.
/// </summary>
/// <param name="Error">Why reading stopped early, with its line; null when the whole file was read.</param>
public sealed record QemuConf(ImmutableArray<QemuConfEntry> Entries, string? Error)
{
    public QemuConfEntry? Find(string key) => Entries.FirstOrDefault(entry => entry.Key == key);

    /// <summary>Reads what it can: at the first malformed line it stops and says where, keeping the settings before it.</summary>
    public static QemuConf Parse(string text)
    {
        var reader = new Reader(text);
        var entries = ImmutableArray.CreateBuilder<QemuConfEntry>();
        try
        {
            while (reader.SkipBlankLinesAndComments())
            {
                int line = reader.Line;
                string key = reader.Name();
                reader.SkipSpaces();
                reader.Expect('=');
                reader.SkipSpaces();
                var (value, isString) = reader.Value();
                reader.EndOfStatement();
                entries.Add(new QemuConfEntry(key, value, isString, line));
            }

            return new QemuConf(entries.ToImmutable(), null);
        }
        catch (FormatException e)
        {
            return new QemuConf(entries.ToImmutable(), $"line {reader.Line}: {e.Message}");
        }
    }

    private sealed class Reader(string text)
    {
        private int _at;

        internal int Line { get; private set; } = 1;

        private char Current => _at < text.Length ? text[_at] : '\0';

        private bool AtEnd => _at >= text.Length;

        /// <summary>Moves to the next statement; false at the end of the text.</summary>
        internal bool SkipBlankLinesAndComments()
        {
            while (!AtEnd)
            {
                switch (Current)
                {
                    case ' ' or '\t' or '\r' or ';':
                        _at++;
                        break;
                    case '\n':
                        Newline();
                        break;
                    case '#':
                        SkipComment();
                        break;
                    default:
                        return true;
                }
            }

            return false;
        }

        internal string Name()
        {
            int start = _at;
            if (!char.IsAsciiLetter(Current) && Current != '_')
            {
                throw new FormatException($"expected a setting's name, found '{Current}'");
            }

            while (char.IsAsciiLetterOrDigit(Current) || Current is '_' or '.')
            {
                _at++;
            }

            return text[start.._at];
        }

        internal void SkipSpaces()
        {
            while (Current is ' ' or '\t' or '\r')
            {
                _at++;
            }
        }

        internal void Expect(char c)
        {
            if (Current != c)
            {
                throw new FormatException($"expected '{c}'{(AtEnd ? " before the end of the file" : $", found '{Current}'")}");
            }

            _at++;
        }

        internal (string Value, bool IsString) Value()
        {
            switch (Current)
            {
                case '"' or '\'':
                    return (QuotedString(), true);
                case '[':
                    return (Array(), false);
                case >= '0' and <= '9' or '-' or '+':
                    return (Number(), false);
                default:
                    throw new FormatException(AtEnd ? "expected a value before the end of the file" : $"expected a value (a quoted string, a number or [ … ]), found '{Current}'");
            }
        }

        /// <summary>After a value: spaces, perhaps a ';' and a comment, then the end of the line.</summary>
        internal void EndOfStatement()
        {
            SkipSpaces();
            if (Current == ';')
            {
                // Another statement may follow on the same line.
                _at++;
                return;
            }

            if (Current == '#')
            {
                SkipComment();
            }

            if (!AtEnd && Current != '\n')
            {
                throw new FormatException($"unexpected '{Current}' after the value");
            }
        }

        private string QuotedString()
        {
            if (text.AsSpan(_at).StartsWith("\"\"\""))
            {
                int close = text.IndexOf("\"\"\"", _at + 3, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new FormatException("a \"\"\" string is never closed");
                }

                string value = text[(_at + 3)..close];
                Line += value.Count(c => c == '\n');
                _at = close + 3;
                return value;
            }

            char quote = Current;
            int start = ++_at;
            while (!AtEnd && Current != quote)
            {
                if (Current == '\n')
                {
                    throw new FormatException("a string runs to the end of the line");
                }

                _at++;
            }

            if (AtEnd)
            {
                throw new FormatException("a string is never closed");
            }

            return text[start.._at++];
        }

        private string Number()
        {
            int start = _at;
            if (Current is '-' or '+')
            {
                _at++;
            }

            if (!char.IsAsciiDigit(Current))
            {
                throw new FormatException("expected a number");
            }

            while (char.IsAsciiDigit(Current))
            {
                _at++;
            }

            return text[start.._at];
        }

        private string Array()
        {
            _at++;
            var elements = new List<string>();
            while (true)
            {
                if (!SkipBlankLinesAndComments())
                {
                    throw new FormatException("a [ … ] array is never closed");
                }

                if (Current == ']')
                {
                    _at++;
                    return string.Join(", ", elements);
                }

                if (elements.Count > 0)
                {
                    Expect(',');
                    if (!SkipBlankLinesAndComments())
                    {
                        throw new FormatException("a [ … ] array is never closed");
                    }

                    if (Current == ']')
                    {
                        // A trailing comma: tolerated, doctor reads settings, it does not lint syntax.
                        _at++;
                        return string.Join(", ", elements);
                    }
                }

                elements.Add(Current is '"' or '\'' ? QuotedString() : Number());
            }
        }

        private void SkipComment()
        {
            while (!AtEnd && Current != '\n')
            {
                _at++;
            }
        }

        private void Newline()
        {
            _at++;
            Line++;
        }
    }
}
