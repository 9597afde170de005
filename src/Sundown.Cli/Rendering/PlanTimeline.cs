using System.Text;
using Sundown.Core.Config;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Power;

namespace Sundown.Cli.Rendering;

/// <summary>The human-readable plan: tier by tier, each guest's steps with when they must begin.</summary>
internal static class PlanTimeline
{
    /// <param name="power">What the UPS said, with <c>[ups]</c>; <paramref name="configured"/> is the budget it was chosen against.</param>
    internal static void Write(TextWriter output, Plan plan, PowerReading? power = null, TimeSpan? configured = null)
    {
        int count = plan.Guests.Count();
        string budget = plan.Budget is { } b ? $"budget {Durations.Format(b)}" : "no budget (no overall deadline)";
        output.WriteLine($"Plan: {count} guest{(count == 1 ? "" : "s")} to stop, {budget}; worst case done at {Seconds.Format(plan.WorstCaseEnd)}.");
        if (power is not null)
        {
            output.WriteLine(UpsLines.Plan(power, configured));
        }

        if (count == 0)
        {
            output.WriteLine("Nothing to do.");
        }

        int nameWidth = plan.Guests.Select(g => TextTable.Printable(g.Guest.Name).Length).DefaultIfEmpty(4).Max();
        foreach (var tier in plan.Tiers)
        {
            output.WriteLine();
            string deadline = tier.Deadline is { } d ? $", all off by {Seconds.Format(d)}" : "";
            output.WriteLine($"order {tier.Order}: begins by {Seconds.Format(tier.WorstCaseStart)}{deadline}");
            foreach (var guest in tier.Guests)
            {
                var line = new StringBuilder("  ");
                line.Append(TextTable.Printable(guest.Guest.Name).PadRight(nameWidth + 2));
                line.Append(string.Join("  →  ", guest.Steps.Select(Describe)));
                if (guest.AtRisk)
                {
                    line.Append("   [at risk]");
                }

                output.WriteLine(line.ToString());
            }
        }

        if (!plan.AlreadyOff.IsEmpty)
        {
            output.WriteLine();
            output.WriteLine($"Already off: {string.Join(", ", plan.AlreadyOff.Select(g => TextTable.Printable(g.Name)))}");
        }

        var notes = plan.Guests.SelectMany(g => g.Notes.Select(note => $"  {TextTable.Printable(g.Guest.Name)}: {note}")).ToList();
        if (notes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Notes:");
            notes.ForEach(output.WriteLine);
        }

        var hooks = plan.Guests
            .SelectMany(g => new[] { Core.Hooks.HookKind.PreStop, Core.Hooks.HookKind.PostStop, Core.Hooks.HookKind.PostStart }
                .Where(kind => g.Policy.Hooks.Of(kind) is not null)
                .Select(kind => $"  {TextTable.Printable(g.Guest.Name)}: {Core.Hooks.HookKinds.ToKey(kind)} {TextTable.Printable(g.Policy.Hooks.Of(kind)!.ToString())}"))
            .ToList();
        if (hooks.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Hooks (a stop runs them; plan does not):");
            hooks.ForEach(output.WriteLine);
        }

        var atRisk = plan.Guests.Where(g => g.AtRisk).Select(g => TextTable.Printable(g.Guest.Name)).ToList();
        if (atRisk.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"At risk of being forced off under this budget: {string.Join(", ", atRisk)}");
        }
    }

    private static string Describe(PlannedStep step) => step.Kind switch
    {
        StepKind.Agent or StepKind.Acpi => $"{Seconds.Format(step.WorstCaseStart)} {step.Kind.ToName()} (wait {Seconds.Format(step.Duration)})",
        StepKind.Save => $"{Seconds.Format(step.WorstCaseStart)} save (~{Seconds.Format(step.Duration)})",
        StepKind.Snapshot => $"{Seconds.Format(step.WorstCaseStart)} snapshot (up to {Seconds.Format(step.Duration)}, skipped if it would not fit)",
        _ => $"{Seconds.Format(step.WorstCaseStart)} {step.Kind.ToName()}",
    };
}
