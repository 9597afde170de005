using System.Globalization;
using System.Text;

namespace Sundown.Cli.Rendering;

/// <summary>A plain, left-aligned text table: a header row, then one row per item.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    internal void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"expected {headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
    }

    internal void Write(TextWriter output)
    {
        int[] widths = new int[headers.Length];
        foreach (string[] row in _rows.Prepend(headers))
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], DisplayWidth(row[i]));
            }
        }

        var line = new StringBuilder();
        foreach (string[] row in _rows.Prepend(headers))
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                line.Append(row[i]);
                if (i < row.Length - 1)
                {
                    line.Append(' ', widths[i] - DisplayWidth(row[i]) + 2);
                }
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }

    /// <summary>
    /// Makes a name safe to print in one cell: control characters (a tab or newline in a
    /// guest name) are shown escaped instead of breaking the layout. JSON output keeps names exact.
    /// </summary>
    internal static string Printable(string text)
    {
        // char.IsControl's two ranges, searched without an enumerator and a delegate per
        // call: every progress line of a stop comes through here.
        if (!text.AsSpan().ContainsAnyInRange('\0', '\u001f') && !text.AsSpan().ContainsAnyInRange('\u007f', '\u009f'))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            escaped.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c);
        }

        return escaped.ToString();
    }

    // Counts user-perceived characters, so "ü" written as u + combining diaeresis is one column.
    private static int DisplayWidth(string text) => new StringInfo(text).LengthInTextElements;
}
