using System.Collections.Immutable;
using Sundown.Core.Doctor;

namespace Sundown.Engine.Doctor;

/// <summary>What doctor found, worst first, and the exit status it means.</summary>
public sealed record DoctorReport(ImmutableArray<Finding> Findings)
{
    /// <summary>0: nothing wrong (information allowed); 1: warnings only; 2: errors.</summary>
    public int ExitCode => Checks.Worst(Findings) switch
    {
        Severity.Error => 2,
        Severity.Warning => 1,
        _ => 0,
    };

    public int Count(Severity severity) => Findings.Count(f => f.Severity == severity);
}
