using System.Collections.Immutable;
using System.Globalization;
using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

/// <summary>
/// <c>sundown doctor</c>'s audit: what would go wrong when the host shuts down, from the
/// machine's files and services (<see cref="HostFacts"/>), the guests and their policies, and
/// the config. Pure: the engine gathers everything; every check here only reads it. Each
/// check lives in the file of its concern (<c>Checks.LibvirtGuests.cs</c>, …) and is listed in
/// docs/doctor.md with its code.
/// </summary>
public static partial class Checks
{
    /// <summary>Every finding, worst first; then the machine, the hosts and the guests, by name.</summary>
    public static ImmutableArray<Finding> Run(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, SundownConfig config)
    {
        var findings = new List<Finding>();
        Gathering(facts, findings);
        Sqlite(facts, findings);
        LibvirtGuests(facts, findings);
        LibvirtHooks(facts, findings);
        DaemonSettings(facts, findings);
        AutoShutdownCutShort(facts, guests, findings);
        SundownUnit(facts, config, findings);
        Guests(guests, findings);
        SaveSpace(facts, guests, findings);
        Budget(facts, guests, config, findings);
        Ups(facts, guests, config, findings);
        Snapshots(facts, guests, findings);
        return
        [
            .. findings
                .OrderByDescending(f => f.Severity)
                .ThenBy(f => f.Subject.Uri is null ? 0 : f.Subject.IsGuest ? 2 : 1)
                .ThenBy(f => f.Subject.Uri ?? "", StringComparer.Ordinal)
                .ThenBy(f => f.Subject.Name ?? "", StringComparer.Ordinal)
                .ThenBy(f => f.Code, StringComparer.Ordinal),
        ];
    }

    /// <summary>The worst severity among the findings; null when there are none.</summary>
    public static Severity? Worst(IEnumerable<Finding> findings) =>
        findings.Select(f => (Severity?)f.Severity).DefaultIfEmpty(null).Max();

    /// <summary>What could not be read at all: the config, a host, a guest's own policy.</summary>
    private static void Gathering(HostFacts facts, List<Finding> findings)
    {
        if (facts.ConfigProblem is { } problem)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.ConfigInvalid, FindingSubject.Machine,
                $"the config is refused: {problem}; sundown stop would refuse to run, so doctor checked with the defaults instead",
                "correct the file (sundown plan shows the same message until it loads)"));
        }

        foreach (var host in facts.Unreachable)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.HostUnreachable, FindingSubject.Host(host.Uri),
                $"cannot read the host: {host.Message}; its guests were not checked, and a stop could not reach them either",
                "check that the libvirt daemon (libvirtd or virtqemud) runs and the URI is right; qemu:///system needs root or the libvirt group"));
        }

        foreach (var invalid in facts.InvalidPolicies)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.PolicyMetadataInvalid, FindingSubject.Of(invalid.Guest),
                $"its own policy (sundown metadata in its domain XML) is invalid: {invalid.Message}; sundown stop refuses to run until it is fixed",
                $"set it again with virsh metadata {Quoted(invalid.Guest.Name)} --uri {PolicyMetadata.Namespace} --key {PolicyMetadata.Prefix} --config --set '<policy …/>', or remove it (--set '')"));
        }

        if (facts.History.Unreadable is { } journal)
        {
            findings.Add(NotChecked($"the journal cannot be read ({journal}): the budget was checked without the durations of past runs"));
        }
    }

    private static Finding NotChecked(string problem) =>
        new(Severity.Info, FindingCodes.NotChecked, FindingSubject.Machine, problem, "run sundown doctor as root");

    /// <summary>A guest's name as a shell word, for fixes the operator may paste.</summary>
    private static string Quoted(string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? name : $"'{name.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <summary>A duration in whole seconds, rounded up: "1m35s".</summary>
    private static string Time(TimeSpan span) => Durations.Format(TimeSpan.FromSeconds(Math.Ceiling(span.TotalSeconds)));

    private static string Bytes(double bytes) => bytes >= 1024.0 * 1024 * 1024
        ? (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    private static string Plural(int count, string word) => count == 1 ? $"1 {word}" : $"{count} {word}s";
}
