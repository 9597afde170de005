namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// Kept in TimeoutStopSec= beyond the budget: before its stop begins, sundown connects, lists
    /// the guests and writes the journal, and the budget counts from then.
    /// </summary>
    private static readonly TimeSpan s_unitMargin = TimeSpan.FromSeconds(5);

    /// <summary>systemd's DefaultTimeoutStopSec= when system.conf does not set it (systemd-system.conf(5)).</summary>
    private static readonly TimeSpan s_systemdDefaultStopTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Sundown's own unit: there, enabled, running this binary, and given the time its budget needs.</summary>
    private static void SundownUnit(HostFacts facts, Config.SundownConfig config, List<Finding> findings)
    {
        var unit = facts.SundownUnit;
        const string Install = "sundown install --enable";
        if (!unit.Unit.Exists)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.SundownUnitMissing, FindingSubject.Machine,
                $"no systemd unit runs Sundown at shutdown ({unit.Unit.Path} is absent){Unstopped(facts)}",
                $"apt install ./sundown_*.deb (the package ships and enables it), or from a source build: {Install}"));
            return;
        }

        if (unit.Unit.Text is not { } text)
        {
            findings.Add(NotChecked($"cannot read {unit.Unit.Path} ({unit.Unit.Unreadable}): Sundown's unit was not checked"));
            return;
        }

        if (unit.Masked)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.SundownUnitMasked, FindingSubject.Machine,
                $"{SundownUnitFacts.UnitName} is masked: systemd never runs it{Unstopped(facts)}",
                $"systemctl unmask {SundownUnitFacts.UnitName}, then systemctl enable {SundownUnitFacts.UnitName}"));
            return;
        }

        if (unit.EnabledBy is null)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.SundownUnitNotEnabled, FindingSubject.Machine,
                $"{unit.Unit.Path} is there but not enabled (no link to it in a *.wants directory such as multi-user.target.wants): systemd does not run it{Unstopped(facts)}",
                $"systemctl enable --now {SundownUnitFacts.UnitName}"));
        }

        if (unit.Binary is { } binary && unit.RunningBinary is { } running && (binary != running || !unit.BinaryExists))
        {
            string which = unit.BinaryExists ? $"but this sundown is {running}: at shutdown the host runs another sundown than the one checked here" : "which does not exist: at shutdown the stop cannot even start";
            findings.Add(new Finding(
                Severity.Error, FindingCodes.SundownUnitStale, FindingSubject.Machine,
                unit.Packaged ? $"{unit.Unit.Path} is the sundown package's unit and runs {binary}, {which}" : $"{unit.Unit.Path} was generated for {binary}, {which}",
                unit.Packaged
                    ? $"check with {binary} doctor; if it is gone, apt install --reinstall sundown"
                    : $"{Install} (it writes the unit again for this binary)"));
        }

        var parsed = ParsedSundownUnit(facts)!;
        if (SundownUnitFile.StopBudget(parsed) is { } fixedBudget)
        {
            // A unit of an older sundown install: the budget was written into it.
            bool differs = config.Budget != fixedBudget;
            findings.Add(new Finding(
                differs ? Severity.Warning : Severity.Info, FindingCodes.SundownUnitFixedBudget, FindingSubject.Machine,
                $"{unit.Unit.Path}'s ExecStop= passes --budget {Time(fixedBudget)}, so the stop at shutdown uses that, not the config's budget" +
                (differs ? $" ({(config.Budget is { } b ? Time(b) : "none")})" : " (the same today; a change to the config would not be seen)"),
                unit.Packaged ? $"remove --budget from the drop-in that sets ExecStop=" : $"{Install} (units are static now: the stop reads the budget from the config when it runs)"));
        }

        // A static unit's stop extends systemd's timer itself, from its start to its plan's deadline
        // plus its margin: TimeoutStopSec= then need not cover the budget.
        if (!SundownUnitFile.ExtendsItsStop(parsed))
        {
            StopTimeout(facts, parsed, config, findings);
        }
    }

    /// <summary>Sundown's unit with its drop-ins applied; null when it cannot be read.</summary>
    private static SystemdUnit? ParsedSundownUnit(HostFacts facts)
    {
        var unit = facts.SundownUnit;
        return unit.Unit.Text is not { } text ? null
            : unit.DropIns.Where(d => d.Text is not null)
                .Aggregate(SystemdUnit.Parse(text, unit.Unit.Path), (merged, dropIn) => merged.With(SystemdUnit.Parse(dropIn.Text!, dropIn.Path)));
    }

    /// <summary>What becomes of the guests at shutdown while Sundown's unit does not run.</summary>
    private static string Unstopped(HostFacts facts) =>
        facts.LibvirtGuests.Active ? ", so Sundown does not stop the guests when the host powers off; libvirt-guests does"
        : DaemonAutoShutdownActive(facts) ? ", so Sundown does not stop the guests when the host powers off; libvirt's own auto-shutdown does"
        : ", so nothing stops the guests when the host powers off: systemd ends their QEMU processes, which is pulling the plug";

    /// <summary>systemd's stop timeout against the budget: systemd ends a stop that outlasts it, guests or not.</summary>
    private static void StopTimeout(HostFacts facts, SystemdUnit unit, Config.SundownConfig config, List<Finding> findings)
    {
        TimeSpan? timeout;
        string source;
        if ((unit.Get("Service", "TimeoutStopSec") ?? unit.Get("Service", "TimeoutSec")) is { } set)
        {
            if (!SystemdTimeSpans.TryParse(set.Value, out timeout))
            {
                return;
            }

            source = $"{set.Key}={set.Value} in {set.File}:{set.Line}";
        }
        else
        {
            var manager = facts.SundownUnit.ManagerConfs.Where(c => c.Text is not null)
                .Aggregate(SystemdUnit.Empty, (merged, conf) => merged.With(SystemdUnit.Parse(conf.Text!, conf.Path)));
            if (manager.Get("Manager", "DefaultTimeoutStopSec") is { } byDefault && SystemdTimeSpans.TryParse(byDefault.Value, out timeout))
            {
                source = $"DefaultTimeoutStopSec={byDefault.Value} in {byDefault.File}, as the unit sets no TimeoutStopSec=";
            }
            else
            {
                timeout = s_systemdDefaultStopTimeout;
                source = "systemd's default, as the unit sets no TimeoutStopSec=";
            }
        }

        // 0 and infinity both turn the timeout off.
        if (timeout is not { } limit || limit == TimeSpan.Zero)
        {
            return;
        }

        var (budget, budgetSource) = SundownUnitFile.StopBudget(unit) is { } passed
            ? (passed, "passed by its ExecStop=")
            : (config.Budget, "the config's");
        if (budget is not { } b)
        {
            var suggested = limit - s_unitMargin;
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.SundownUnitNoBudget, FindingSubject.Machine,
                $"the config sets no budget, so the stop has no overall deadline, but systemd ends it after {Time(limit)} ({source}): guests still running then are cut off, not stopped in order",
                suggested > TimeSpan.Zero
                    ? $"set a budget a little under systemd's limit, e.g. budget = \"{Time(suggested)}\" in the config, or raise TimeoutStopSec="
                    : "raise TimeoutStopSec= and set a budget under it in the config"));
        }
        else if (limit < b)
        {
            findings.Add(new Finding(
                Severity.Error, FindingCodes.SundownUnitTimeout, FindingSubject.Machine,
                $"systemd ends the stop after {Time(limit)} ({source}), before the {Time(b)} budget ({budgetSource}) is spent: guests still running then are cut off instead of being shut down, saved or destroyed in order",
                $"set TimeoutStopSec= to at least {Time(b + s_unitMargin)} in the unit (sundown install does), or lower the budget"));
        }
        else if (limit < b + s_unitMargin)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.SundownUnitTimeoutTight, FindingSubject.Machine,
                $"systemd's limit of {Time(limit)} ({source}) leaves {Time(limit - b)} beyond the {Time(b)} budget ({budgetSource}): sundown connects, lists the guests and writes its journal before the budget starts, so systemd may end it just before its deadline",
                $"set TimeoutStopSec= to at least {Time(b + s_unitMargin)}"));
        }
    }
}
