namespace Sundown.Faults.Tests.Harness;

/// <summary>The three things every fault test checks: the guests' fate, the time taken, the fault reported.</summary>
internal static class FaultAssert
{
    internal static void Exit(int expected, SundownBinary.Run run) =>
        Assert.True(run.ExitCode == expected, $"expected exit {expected}, got {run.Describe()}");

    /// <summary>The stop, timed from outside, ended within its budget plus the stated margin.</summary>
    internal static void Within(TimeSpan budget, TimeSpan margin, SundownBinary.Run run) =>
        Assert.True(run.Elapsed <= budget + margin, $"the stop took {run.Elapsed.TotalSeconds:F1}s, past its {budget.TotalSeconds}s budget + {margin.TotalSeconds}s margin:\n{run.Describe()}");

    /// <summary>Exactly these guests are in the report, each with this outcome.</summary>
    internal static void Outcomes(StopReport report, IReadOnlyDictionary<string, string> expected, SundownBinary.Run run)
    {
        Assert.True(
            expected.Keys.Order(StringComparer.Ordinal).SequenceEqual(report.Guests.Keys.Order(StringComparer.Ordinal)),
            $"expected guests [{string.Join(", ", expected.Keys)}], the report has [{string.Join(", ", report.Guests.Keys)}]:\n{run.Describe()}");
        foreach (var (name, outcome) in expected)
        {
            Assert.True(report.Guests[name].Outcome == outcome, $"guest '{name}': expected {outcome}, got {report.Guests[name].Outcome}:\n{run.Describe()}");
        }
    }

    /// <summary>Every guest's outcome is <paramref name="outcome"/>.</summary>
    internal static void Outcomes(StopReport report, IEnumerable<string> names, string outcome, SundownBinary.Run run) =>
        Outcomes(report, names.ToDictionary(n => n, _ => outcome, StringComparer.Ordinal), run);

    /// <summary>
    /// The fault is in the JSON with this kind (and, when given, naming <paramref name="mentioning"/>
    /// in its subject or message), and a <c>fault (KIND)</c> line is on stderr.
    /// </summary>
    internal static void Reported(string kind, StopReport report, SundownBinary.Run run, string? mentioning = null)
    {
        Assert.True(
            report.Faults.Any(f => f.Kind == kind && (mentioning is null || f.Mentions(mentioning))),
            $"no \"{kind}\" fault{(mentioning is null ? "" : $" naming '{mentioning}'")} in the JSON:\n{run.Describe()}");
        Assert.True(run.Error.Contains($"fault ({kind})", StringComparison.Ordinal), $"no 'fault ({kind})' line on stderr:\n{run.Describe()}");
    }
}
