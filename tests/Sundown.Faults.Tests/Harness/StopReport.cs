using System.Text.Json;

namespace Sundown.Faults.Tests.Harness;

/// <summary>The run JSON of <c>stop --json</c> and <c>report --json</c>, read as the contract in DESIGN.md words it.</summary>
internal sealed record StopReport(
    long Run,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    double? BudgetSeconds,
    IReadOnlyDictionary<string, StopReport.GuestEntry> Guests,
    IReadOnlyList<StopReport.FaultEntry> Faults)
{
    internal sealed record StepEntry(string Action, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Result, string? Error);

    internal sealed record GuestEntry(string Uri, string Name, string InitialState, string Outcome, double Seconds, IReadOnlyList<StepEntry> Steps)
    {
        internal IReadOnlyList<string> Actions => [.. Steps.Select(s => s.Action)];
    }

    internal sealed record FaultEntry(string Kind, string? Subject, string Message)
    {
        internal bool Mentions(string text) =>
            (Subject?.Contains(text, StringComparison.Ordinal) ?? false) || Message.Contains(text, StringComparison.Ordinal);
    }

    /// <summary>Parses a run's JSON; a run that printed none (or not an object) fails the test with its whole output.</summary>
    internal static StopReport Parse(SundownBinary.Run run) => Parse(run.Output, run.Describe());

    internal static StopReport Parse(string json, string context)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            Assert.Fail($"no run JSON on stdout ({e.Message}):\n{context}");
            throw;
        }

        using (document)
        {
            var root = document.RootElement;
            Assert.True(root.ValueKind == JsonValueKind.Object, $"the run JSON is not an object:\n{context}");
            Assert.True(root.TryGetProperty("faults", out var faults), $"the run JSON has no \"faults\":\n{context}");
            return new StopReport(
                root.GetProperty("run").GetInt64(),
                root.GetProperty("startedAt").GetDateTimeOffset(),
                root.GetProperty("finishedAt").GetDateTimeOffset(),
                root.GetProperty("budgetSeconds").ValueKind == JsonValueKind.Number ? root.GetProperty("budgetSeconds").GetDouble() : null,
                root.GetProperty("guests").EnumerateArray().Select(ReadGuest).ToDictionary(g => g.Name, StringComparer.Ordinal),
                [.. faults.EnumerateArray().Select(f => new FaultEntry(f.GetProperty("kind").GetString()!, f.GetProperty("subject").GetString(), f.GetProperty("message").GetString()!))]);
        }
    }

    private static GuestEntry ReadGuest(JsonElement guest) => new(
        guest.GetProperty("uri").GetString()!,
        guest.GetProperty("name").GetString()!,
        guest.GetProperty("initialState").GetString()!,
        guest.GetProperty("outcome").GetString()!,
        guest.GetProperty("seconds").GetDouble(),
        [.. guest.GetProperty("steps").EnumerateArray().Select(s => new StepEntry(
            s.GetProperty("action").GetString()!,
            s.GetProperty("startedAt").GetDateTimeOffset(),
            s.GetProperty("endedAt").ValueKind == JsonValueKind.String ? s.GetProperty("endedAt").GetDateTimeOffset() : null,
            s.GetProperty("result").GetString(),
            s.GetProperty("error").GetString()))]);
}
