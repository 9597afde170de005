using System.Globalization;

namespace Sundown.Engine.Journaling;

/// <summary>
/// Times as the journal stores them: ISO-8601 UTC text with milliseconds. Fixed width, so
/// the text sorts as the times do, and readable with the sqlite3 shell.
/// </summary>
internal static class JournalTime
{
    /// <summary>The length of every time's text: <c>2026-11-25T10:00:00.000Z</c>.</summary>
    internal const int TextLength = 24;

    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    internal static string ToText(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>The same text as <see cref="ToText"/>, written into <paramref name="buffer"/> (at least <see cref="TextLength"/> chars).</summary>
    internal static ReadOnlySpan<char> Format(DateTimeOffset time, Span<char> buffer) =>
        time.UtcDateTime.TryFormat(buffer, out int written, Pattern, CultureInfo.InvariantCulture)
            ? buffer[..written]
            : throw new ArgumentException($"a time's text needs {TextLength} chars", nameof(buffer));

    /// <summary>The time as the journal keeps it (to the millisecond): what reading it back would give.</summary>
    internal static DateTimeOffset AsStored(DateTimeOffset time) => Parse(ToText(time));

    internal static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
