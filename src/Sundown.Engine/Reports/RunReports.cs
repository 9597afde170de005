using Sundown.Engine.Journal;

namespace Sundown.Engine.Reports;

/// <summary>Builds the report of a run from the journal: <c>stop --json</c> and <c>report --json</c> print the same thing.</summary>
public static class RunReports
{
    public static RunReport FromRecord(RunRecord run) => new(
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
            [.. run.Steps
                .Where(step => step.Uri == guest.Uri && step.Uuid == guest.Uuid)
                .Select(step => new StepReport(step.Action, step.StartedAt, step.EndedAt, step.Result?.ToWord(), step.Error))]))]);
}
