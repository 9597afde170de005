using System.Text.Json;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Rendering;

/// <summary>
/// The run contract of DESIGN.md, printed by <c>stop --json</c>, <c>start --json</c> and
/// <c>report --json</c>: <c>{"run","kind","startedAt","finishedAt","budgetSeconds","guests":[…],"faults":[…]}</c>,
/// each fault <c>{"kind","subject","message"}</c>.
/// </summary>
internal static class RunJson
{
    internal static void Write(TextWriter output, RunReport report) => JsonOutput.Write(output, json =>
    {
        json.WriteStartObject();
        json.WriteNumber("run", report.Run);
        json.WriteString("kind", report.Kind);
        json.WriteString("startedAt", JsonOutput.Time(report.StartedAt));
        WriteTime(json, "finishedAt", report.FinishedAt);
        if (report.BudgetSeconds is { } budget)
        {
            json.WriteNumber("budgetSeconds", budget);
        }
        else
        {
            json.WriteNull("budgetSeconds");
        }

        json.WriteStartArray("guests");
        foreach (var guest in report.Guests)
        {
            JsonOutput.FlushIfFull(json);
            json.WriteStartObject();
            json.WriteString("uri", guest.Uri);
            json.WriteString("name", guest.Name);
            json.WriteString("uuid", guest.Uuid);
            json.WriteString("initialState", guest.InitialState);
            WriteString(json, "outcome", guest.Outcome);
            if (guest.Seconds is { } seconds)
            {
                json.WriteNumber("seconds", seconds);
            }
            else
            {
                json.WriteNull("seconds");
            }

            json.WriteStartArray("steps");
            foreach (var step in guest.Steps)
            {
                json.WriteStartObject();
                json.WriteString("action", step.Action);
                json.WriteString("startedAt", JsonOutput.Time(step.StartedAt));
                WriteTime(json, "endedAt", step.EndedAt);
                WriteString(json, "result", step.Result);
                WriteString(json, "error", step.Error);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("faults");
        foreach (var fault in report.Faults)
        {
            json.WriteStartObject();
            json.WriteString("kind", fault.Kind);
            WriteString(json, "subject", fault.Subject);
            json.WriteString("message", fault.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        // Added after the contract's fields: {"kind","uri","uuid","name","argv","startedAt","endedAt","result","exitCode","error","output"}.
        json.WriteStartArray("hooks");
        foreach (var hook in report.Hooks)
        {
            json.WriteStartObject();
            json.WriteString("kind", Core.Hooks.HookKinds.ToKey(hook.Kind));
            WriteString(json, "uri", hook.Uri);
            WriteString(json, "uuid", hook.Uuid);
            WriteString(json, "name", hook.Guest);
            json.WriteStartArray("argv");
            foreach (string arg in hook.Argv)
            {
                json.WriteStringValue(arg);
            }

            json.WriteEndArray();
            json.WriteString("startedAt", JsonOutput.Time(hook.StartedAt));
            json.WriteString("endedAt", JsonOutput.Time(hook.EndedAt));
            json.WriteString("result", hook.Result);
            if (hook.ExitCode is { } code)
            {
                json.WriteNumber("exitCode", code);
            }
            else
            {
                json.WriteNull("exitCode");
            }

            WriteString(json, "error", hook.Error);
            json.WriteString("output", hook.Output);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? at) => WriteString(json, name, at is { } a ? JsonOutput.Time(a) : null);

    private static void WriteString(Utf8JsonWriter json, string name, string? value)
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
