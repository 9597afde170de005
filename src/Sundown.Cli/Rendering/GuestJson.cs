using System.Text.Encodings.Web;
using System.Text.Json;
using Sundown.Core.Model;

namespace Sundown.Cli.Rendering;

/// <summary>
/// The <c>list --json</c> contract of DESIGN.md: an array of guests with exactly these
/// fields. Written by hand with Utf8JsonWriter: the field names and order are the
/// contract, and no reflection is needed under Native AOT.
/// </summary>
internal static class GuestJson
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // Names stay readable (ü, not \u00FC); quotes and control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static void Write(TextWriter output, IReadOnlyList<Guest> guests)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartArray();
            foreach (var guest in guests)
            {
                json.WriteStartObject();
                json.WriteString("uri", guest.Uri);
                json.WriteString("name", guest.Name);
                json.WriteString("uuid", guest.Uuid);
                json.WriteString("state", guest.State.ToContractName());
                json.WriteBoolean("persistent", guest.Persistent);
                json.WriteBoolean("autostart", guest.Autostart);
                json.WriteBoolean("managedSave", guest.ManagedSave);
                json.WriteNumber("memoryKiB", guest.MemoryKiB);
                json.WriteNumber("vcpus", guest.Vcpus);
                if (guest.Os is null)
                {
                    json.WriteNull("os");
                }
                else
                {
                    json.WriteString("os", guest.Os);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
