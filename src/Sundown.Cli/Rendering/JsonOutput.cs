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
    /// <summary>How much JSON is held before it goes out (see <see cref="FlushIfFull"/>).</summary>
    private const int FlushAt = 16 * 1024;

    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = true,
        // Names stay readable (ü, not \u00FC); quotes and control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using (var json = new Utf8JsonWriter(new TextWriterStream(output), s_options))
        {
            write(json);
        }

        output.WriteLine();
    }

    /// <summary>
    /// Sends what is written so far on to the output once it is more than a few KB. Writers of
    /// long arrays call it per element: the JSON of a stop of 5,000 guests is some 3 MB, and
    /// held whole, then copied into one string, it was the stop's last jump in memory.
    /// </summary>
    internal static void FlushIfFull(Utf8JsonWriter json)
    {
        if (json.BytesPending >= FlushAt)
        {
            json.Flush();
        }
    }

    /// <summary>ISO-8601 UTC with milliseconds, as the contract says.</summary>
    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>UTF-8 bytes in, text out to a TextWriter (stdout, or a test's StringWriter).</summary>
    private sealed class TextWriterStream(TextWriter output) : Stream
    {
        // Stateful: a character split between two flushes is completed by the next one.
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly char[] _chars = new char[4096];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                _decoder.Convert(buffer, _chars, flush: false, out int bytesUsed, out int charsUsed, out _);
                output.Write(_chars, 0, charsUsed);
                buffer = buffer[bytesUsed..];
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => output.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
