using Sundown.Engine.Journaling;

namespace Sundown.Engine.Reports;

/// <summary>Builds the report of a run from the journal: <c>stop --json</c> and <c>report --json</c> print the same thing.</summary>
public static class RunReports
{
    public static RunReport FromRecord(RunRecord run)
    {
        // One pass over the steps, not one per guest: a run of 5,000 guests has some 8,000.
        var stepsOf = run.Steps.ToLookup(step => (step.Uri, step.Uuid));
        return new(
            run.Id,
            run.Kind.ToWord(),
            run.StartedAt,
            run.FinishedAt,
            run.BudgetSeconds,
            [.. run.Guests.Select(guest => new GuestReport(
                guest.Uri,
                guest.Name,
                guest.Uuid,
                guest.InitialState,
                guest.Outcome?.ToWord(),
                guest.Seconds,
                [.. stepsOf[(guest.Uri, guest.Uuid)]
                    .Select(step => new StepReport(step.Action, step.StartedAt, step.EndedAt, step.Result?.ToWord(), step.Error))]))]);
    }
}
