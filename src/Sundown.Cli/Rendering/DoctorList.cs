using Sundown.Core.Doctor;
using Sundown.Engine.Doctor;

namespace Sundown.Cli.Rendering;

/// <summary>The readable <c>doctor</c> output: the findings grouped by severity, worst first, each with its fix.</summary>
internal static class DoctorList
{
    internal static void Write(TextWriter output, DoctorReport report)
    {
        foreach (var group in report.Findings.GroupBy(f => f.Severity))
        {
            output.WriteLine($"{Heading(group.Key)} ({group.Count()}):");
            foreach (var finding in group)
            {
                output.WriteLine($"  [{finding.Code}] {Subject(finding.Subject)}");
                output.WriteLine($"    {TextTable.Printable(finding.Problem)}");
                output.WriteLine($"    fix: {TextTable.Printable(finding.Fix)}");
            }

            output.WriteLine();
        }

        int errors = report.Count(Severity.Error);
        int warnings = report.Count(Severity.Warning);
        int notes = report.Count(Severity.Info);
        output.WriteLine(errors + warnings == 0
            ? $"Nothing wrong{(notes > 0 ? $" ({Count(notes, "note")})" : "")}."
            : $"{Count(errors, "error")}, {Count(warnings, "warning")}, {Count(notes, "note")}.");
    }

    private static string Heading(Severity severity) => severity switch
    {
        Severity.Error => "Errors",
        Severity.Warning => "Warnings",
        _ => "Notes",
    };

    private static string Subject(FindingSubject subject) => subject switch
    {
        { IsGuest: true } => $"guest {TextTable.Printable(subject.Name!)} ({subject.Uuid}) on {subject.Uri}",
        { Uri: { } uri } => $"host {uri}",
        _ => "this machine",
    };

    private static string Count(int count, string word) => count == 1 ? $"1 {word}" : $"{count} {word}s";
}
