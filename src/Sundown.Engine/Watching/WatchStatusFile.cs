using System.Globalization;
using System.Text.Json;
using Sundown.Core.Ups;

namespace Sundown.Engine.Watching;

/// <summary>
/// The watch's state as a small JSON file (by default /run/sundown/watch.json), written whole and
/// renamed over the old one so that a reader never sees half of it. JSON by hand, as everywhere:
/// no reflection under Native AOT.
/// </summary>
public static class WatchStatusFile
{
    public const string DefaultPath = "/run/sundown/watch.json";

    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not ours.</exception>
    public static void Write(string path, WatchStatus status)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.new";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(json, status);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The status as JSON, as the file holds it and <c>watch --status --json</c> prints it (a watch that is not running prints <c>{"running": false}</c>).</summary>
    public static void WriteJson(Utf8JsonWriter json, WatchStatus status)
    {
        json.WriteStartObject();
        json.WriteBoolean("running", true);
        json.WriteNumber("pid", status.Pid);
        json.WriteString("ups", status.Ups);
        json.WriteString("phase", status.Phase.ToWord());
        WriteOrNull(json, "upsStatus", status.UpsStatus);
        WriteSeconds(json, "runtimeSeconds", status.Runtime);
        WriteOrNull(json, "upsError", status.UpsError);
        WriteSeconds(json, "worstCaseSeconds", status.WorstCase);
        WriteSeconds(json, "triggerRuntimeSeconds", status.TriggerRuntime);
        if (status.LastEvent is { } last)
        {
            json.WriteStartObject("lastEvent");
            json.WriteString("priority", last.Severity.ToString().ToLowerInvariant());
            json.WriteString("message", last.Message);
            json.WriteString("at", status.LastEventAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("lastEvent");
        }

        WriteOrNull(json, "logind", status.Logind);
        WriteOrNull(json, "login", status.Login);
        WriteOrNull(json, "shutdownAnnouncedAt", status.ShutdownAnnouncedAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("updatedAt", status.UpdatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    /// <summary>The status in the file; null when there is none.</summary>
    /// <exception cref="FormatException">The file is not a watch status.</exception>
    public static WatchStatus? Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var phase = WatchPhases.FromWord(root.GetProperty("phase").GetString() ?? "") ?? throw new FormatException($"{path}: an unknown phase");
            WatchEvent? last = null;
            DateTimeOffset? lastAt = null;
            if (root.GetProperty("lastEvent") is { ValueKind: JsonValueKind.Object } e)
            {
                var severity = Enum.TryParse<WatchSeverity>(e.GetProperty("priority").GetString(), ignoreCase: true, out var s) ? s : WatchSeverity.Info;
                last = new WatchEvent(severity, e.GetProperty("message").GetString() ?? "");
                lastAt = Time(e.GetProperty("at"));
            }

            return new WatchStatus(
                root.GetProperty("pid").GetInt32(),
                root.GetProperty("ups").GetString() ?? "",
                phase,
                root.GetProperty("upsStatus").GetString(),
                Seconds(root.GetProperty("runtimeSeconds")),
                root.GetProperty("upsError").GetString(),
                Seconds(root.GetProperty("worstCaseSeconds")),
                Seconds(root.GetProperty("triggerRuntimeSeconds")),
                last,
                lastAt,
                Time(root.GetProperty("updatedAt")) ?? DateTimeOffset.UnixEpoch)
            {
                // Absent from the files of a watch older than logind's following.
                Logind = root.TryGetProperty("logind", out var logind) ? logind.GetString() : null,
                Login = root.TryGetProperty("login", out var login) ? login.GetString() : null,
                ShutdownAnnouncedAt = root.TryGetProperty("shutdownAnnouncedAt", out var announced) ? Time(announced) : null,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{path} is not a watch status: {e.Message}", e);
        }
    }

    private static void WriteOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteSeconds(Utf8JsonWriter json, string name, TimeSpan? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, Math.Round(v.TotalSeconds, 1));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static TimeSpan? Seconds(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(element.GetDouble()) : null;

    private static DateTimeOffset? Time(JsonElement element) =>
        element.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(element.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;
}
