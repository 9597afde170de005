using Sundown.Engine.Journaling;

namespace Sundown.Engine.Stopping;

/// <summary>
/// New run or continuation, and with what budget: one pure function. A stop continues an
/// unfinished run only when it is the same stop picked up again: its process died within its
/// own budget window, in this boot, and it was asked for the same guests. Anything else is a new
/// run, and the unfinished one is closed as abandoned. A continuation runs with the new
/// request's budget, never with what the old run had left: a stop that was killed must not make
/// the next one destroy every guest at once for want of time.
/// </summary>
public static class Continuation
{
    /// <param name="unfinished">The unfinished stop the journal holds, if any.</param>
    /// <param name="only">The new request's <c>--only</c> names; null for a whole-host stop.</param>
    /// <param name="budget">The new request's budget; null for no overall deadline.</param>
    /// <param name="bootTime">When this machine booted.</param>
    public static RunDecision Decide(RunRecord? unfinished, IReadOnlyCollection<string>? only, TimeSpan? budget, DateTimeOffset now, DateTimeOffset bootTime)
    {
        if (unfinished is null)
        {
            return RunDecision.New(budget);
        }

        string run = $"the unfinished stop (run {unfinished.Id}, begun {unfinished.StartedAt:yyyy-MM-ddTHH:mm:ssZ})";
        var reasons = new List<string>();
        if (unfinished.StartedAt < bootTime)
        {
            reasons.Add("is from an earlier boot");
        }
        else if (unfinished.BudgetSeconds is { } seconds && now >= unfinished.StartedAt + TimeSpan.FromSeconds(seconds))
        {
            reasons.Add($"is past its own {seconds:0.#}s budget");
        }

        var before = unfinished.Only is { } names ? names.ToHashSet(StringComparer.Ordinal) : null;
        var asked = only?.ToHashSet(StringComparer.Ordinal);
        if (!SameScope(before, asked))
        {
            reasons.Add($"was {Scope(before)}, this one is {Scope(asked)}");
        }

        return reasons.Count == 0 ? RunDecision.Continuing(budget) : RunDecision.New(budget, $"{run} {string.Join(", and ", reasons)}");
    }

    private static bool SameScope(HashSet<string>? before, HashSet<string>? now) =>
        before is null ? now is null : now is not null && before.SetEquals(now);

    private static string Scope(HashSet<string>? only) => only is null
        ? "a whole-host stop"
        : $"a stop of {string.Join(", ", only.Order(StringComparer.Ordinal).Select(name => $"'{name}'"))} only";
}
