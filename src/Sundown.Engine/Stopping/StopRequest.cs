using Sundown.Core.Config;
using Sundown.Core.Ups;

namespace Sundown.Engine.Stopping;

/// <summary>What <c>sundown stop</c> was asked to do.</summary>
/// <param name="Budget">The whole stop's time; null for no overall deadline.</param>
/// <param name="Only">Stop only the guests of these names; null for all.</param>
public sealed record StopRequest(SundownConfig Config, IReadOnlyList<string> Uris, TimeSpan? Budget, IReadOnlyCollection<string>? Only, string StateDirectory)
{
    /// <summary>
    /// The stop that sundown.service runs at host shutdown (<c>stop --at-shutdown</c>): it is the last
    /// line of defence, so whatever is wrong around it degrades to a fault, never to a refusal.
    /// </summary>
    public bool AtShutdown { get; init; }

    /// <summary>
    /// Run with the journal in memory and without the lock, the restore list kept in the guests'
    /// own libvirt metadata: the stop at shutdown's second try, when the first failed around the
    /// state directory (another process holding the lock, a journal that cannot be used).
    /// </summary>
    public bool JournalInMemory { get; init; }

    /// <summary>
    /// The config's <c>[ups]</c>, when it has one: <see cref="Budget"/> was chosen from it already
    /// (<see cref="UpsBudget"/>); while the stop runs on battery, it reads the UPS again every few
    /// seconds and tightens the rest of the plan when the battery ends before the plan's deadline.
    /// </summary>
    public IUps? Ups { get; init; }

    /// <summary>Faults found before the run began (the config fell back), carried into its report.</summary>
    public IReadOnlyList<Reports.Fault> EarlierFaults { get; init; } = [];
}
