using Sundown.Core.Doctor;
using Sundown.Engine.Doctor;

namespace Sundown.Cli.Rendering;

/// <summary>
/// <c>doctor --json</c>: <c>{"findings":[{"severity","code","subject","uri","uuid","problem","fix"}],"errors":N,"warnings":N}</c>,
/// worst first. <c>subject</c> is <c>host</c> or the guest's name; <c>uri</c> is null for the machine's own files and services.
/// </summary>
internal static class DoctorJson
{
    internal static void Write(TextWriter output, DoctorReport report) => JsonOutput.Write(output, json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("findings");
        foreach (var finding in report.Findings)
        {
            json.WriteStartObject();
            json.WriteString("severity", finding.Severity.ToName());
            json.WriteString("code", finding.Code);
            json.WriteString("subject", finding.Subject.Describe());
            WriteString(json, "uri", finding.Subject.Uri);
            WriteString(json, "uuid", finding.Subject.Uuid);
            json.WriteString("problem", finding.Problem);
            json.WriteString("fix", finding.Fix);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("errors", report.Count(Severity.Error));
        json.WriteNumber("warnings", report.Count(Severity.Warning));
        json.WriteEndObject();
    });

    private static void WriteString(System.Text.Json.Utf8JsonWriter json, string name, string? value)
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
}
