using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sundown.Cli.Rendering;

/// <summary>
/// Every JSON the CLI prints is written by hand with Utf8JsonWriter: the field names and
/// order are contracts, and no reflection is needed under Native AOT.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = true,
        // Names stay readable (ü, not \u00FC); quotes and control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            write(json);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>ISO-8601 UTC with milliseconds, as the contract says.</summary>
    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
