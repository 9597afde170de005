using System.Globalization;

namespace Sundown.Engine.Journal;

/// <summary>
/// Times as the journal stores them: ISO-8601 UTC text with milliseconds. Fixed width, so
/// the text sorts as the times do, and readable with the sqlite3 shell.
/// </summary>
internal static class JournalTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    internal static string ToText(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    internal static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
