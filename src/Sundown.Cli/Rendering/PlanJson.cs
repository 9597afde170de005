using System.Text.Json;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Power;

namespace Sundown.Cli.Rendering;

/// <summary>
/// <c>plan --json</c>: <c>{"budgetSeconds","worstCaseSeconds","tiers":[{"order","deadlineSeconds","startSeconds","endSeconds",
/// "guests":[{"uri","name","uuid","state","atRisk","notes","steps":[{"action","startSeconds","seconds"}]}]}],"alreadyOff":[…],
/// "ups":{"name","status","runtimeSeconds","marginSeconds","error"}}</c>.
/// Times are seconds from the start of the stop, worst case. <c>ups</c> is null without <c>[ups]</c>;
/// its <c>status</c> and <c>runtimeSeconds</c> are null when it could not be read (<c>error</c> says why).
/// </summary>
internal static class PlanJson
{
    internal static void Write(TextWriter output, Plan plan, PowerReading? power = null) => JsonOutput.Write(output, json =>
    {
        json.WriteStartObject();
        WriteSeconds(json, "budgetSeconds", plan.Budget);
        json.WriteNumber("worstCaseSeconds", Seconds.Json(plan.WorstCaseEnd));
        json.WriteStartArray("tiers");
        foreach (var tier in plan.Tiers)
        {
            json.WriteStartObject();
            json.WriteNumber("order", tier.Order);
            WriteSeconds(json, "deadlineSeconds", tier.Deadline);
            json.WriteNumber("startSeconds", Seconds.Json(tier.WorstCaseStart));
            json.WriteNumber("endSeconds", Seconds.Json(tier.WorstCaseEnd));
            json.WriteStartArray("guests");
            foreach (var guest in tier.Guests)
            {
                JsonOutput.FlushIfFull(json);
                json.WriteStartObject();
                WriteGuest(json, guest.Guest);
                json.WriteBoolean("atRisk", guest.AtRisk);
                json.WriteStartArray("notes");
                guest.Notes.ToList().ForEach(json.WriteStringValue);
                json.WriteEndArray();
                json.WriteStartArray("steps");
                foreach (var step in guest.Steps)
                {
                    json.WriteStartObject();
                    json.WriteString("action", step.Kind.ToName());
                    json.WriteNumber("startSeconds", Seconds.Json(step.WorstCaseStart));
                    json.WriteNumber("seconds", Seconds.Json(step.Duration));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                // Added: the hooks a stop would run for it (plan runs none); each argv, or null.
                json.WriteStartObject("hooks");
                foreach (var kind in new[] { Core.Hooks.HookKind.PreStop, Core.Hooks.HookKind.PostStop, Core.Hooks.HookKind.PostStart })
                {
                    if (guest.Policy.Hooks.Of(kind) is { } hook)
                    {
                        json.WriteStartArray(Core.Hooks.HookKinds.ToKey(kind));
                        hook.Argv.ToList().ForEach(json.WriteStringValue);
                        json.WriteEndArray();
                    }
                    else
                    {
                        json.WriteNull(Core.Hooks.HookKinds.ToKey(kind));
                    }
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("alreadyOff");
        foreach (var guest in plan.AlreadyOff)
        {
            JsonOutput.FlushIfFull(json);
            json.WriteStartObject();
            WriteGuest(json, guest);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteUps(json, power);
        json.WriteEndObject();
    });

    private static void WriteUps(Utf8JsonWriter json, PowerReading? power)
    {
        if (power is null)
        {
            json.WriteNull("ups");
            return;
        }

        json.WriteStartObject("ups");
        json.WriteString("name", power.Ups.Name.ToString());
        if (power.Reading is { } reading)
        {
            json.WriteString("status", reading.StatusText);
        }
        else
        {
            json.WriteNull("status");
        }

        WriteSeconds(json, "runtimeSeconds", power.Reading?.Runtime);
        json.WriteNumber("marginSeconds", Seconds.Json(power.Ups.Margin));
        if (power.Error is { } error)
        {
            json.WriteString("error", error);
        }
        else
        {
            json.WriteNull("error");
        }

        json.WriteEndObject();
    }

    private static void WriteGuest(Utf8JsonWriter json, Guest guest)
    {
        json.WriteString("uri", guest.Uri);
        json.WriteString("name", guest.Name);
        json.WriteString("uuid", guest.Uuid);
        json.WriteString("state", guest.State.ToContractName());
    }

    private static void WriteSeconds(Utf8JsonWriter json, string name, TimeSpan? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, Seconds.Json(v));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
