namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// The host's SQLite, which the journal runs on. Without it the stop at shutdown still stops
    /// every guest, but records nothing: no estimates learnt from past runs, no run to continue
    /// after a crash, the restore list only in the guests' own metadata. An error: every stop
    /// from now on is degraded, and the fix is one package.
    /// </summary>
    private static void Sqlite(HostFacts facts, List<Finding> findings)
    {
        if (facts.SqliteProblem is not { } problem)
        {
            return;
        }

        findings.Add(new Finding(
            Severity.Error, FindingCodes.SqliteMissing, FindingSubject.Machine,
            $"{problem}; without it Sundown keeps no journal: a stop records nothing (no past durations for its plan, no run to continue after a crash) and keeps the restore list only in the guests' own libvirt metadata",
            "apt install libsqlite3-0 (the package sundown depends on it; a build from source needs it too)"));
    }
}
