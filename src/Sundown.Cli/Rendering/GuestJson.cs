using Sundown.Core.Model;

namespace Sundown.Cli.Rendering;

/// <summary>The <c>list --json</c> contract of DESIGN.md: an array of guests with exactly these fields.</summary>
internal static class GuestJson
{
    internal static void Write(TextWriter output, IReadOnlyList<Guest> guests) => JsonOutput.Write(output, json =>
    {
        json.WriteStartArray();
        foreach (var guest in guests)
        {
            JsonOutput.FlushIfFull(json);
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
    });
}
