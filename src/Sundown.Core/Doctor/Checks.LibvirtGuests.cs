namespace Sundown.Core.Doctor;

public static partial class Checks
{
    // libvirt-guests(8)'s own defaults, for when neither its settings file nor its script sets them.
    private const string UpstreamOnShutdown = "suspend";
    private const string UpstreamOnBoot = "start";

    /// <summary>
    /// libvirt-guests enabled beside Sundown. Sundown's unit is ordered After= it, so at shutdown
    /// Sundown's stop runs first and libvirt-guests finds no guest running: its stop does nothing
    /// and records nothing to start at boot. Not disabled for the operator (it is another
    /// package's service), it is a note; a warning when a list from a shutdown before Sundown is
    /// left for its ON_BOOT=start; an error only when Sundown's unit is not ordered so (a
    /// hand-written one), or a warning while Sundown's unit is not enabled (libvirt-guests is then
    /// what handles the guests).
    /// </summary>
    private static void LibvirtGuests(HostFacts facts, List<Finding> findings)
    {
        var service = facts.LibvirtGuests;
        if (!service.Active)
        {
            return;
        }

        var (onShutdown, shutdownSource) = LibvirtGuestsSetting(service, "ON_SHUTDOWN", UpstreamOnShutdown);
        var (onBoot, bootSource) = LibvirtGuestsSetting(service, "ON_BOOT", UpstreamOnBoot);
        // The script shuts guests down only for "shutdown"; any other value suspends them.
        string action = onShutdown == "shutdown"
            ? "asks every running guest to shut down (one at a time unless PARALLEL_SHUTDOWN is set) and waits up to SHUTDOWN_TIMEOUT for each"
            : "suspends every running guest to disk (managed save), one at a time";
        string enabled = service.EnabledByPackage
            ? $"{service.EnabledBy}, made by its package when it was installed: {facts.OsName ?? "this distribution"} enables it by default"
            : service.EnabledBy!;
        const string Disable = $"systemctl disable {LibvirtGuestsFacts.UnitName} — but do not stop it: stopping it runs its shutdown action on every running guest now";
        bool ordered = facts.SundownUnit.Enabled && ParsedSundownUnit(facts) is { } unit && SundownUnitFile.StopsBeforeLibvirtGuests(unit);
        if (!ordered)
        {
            string problem = $"{LibvirtGuestsFacts.UnitName} is enabled ({enabled}): when the host shuts down it {action} (ON_SHUTDOWN={onShutdown}, {shutdownSource})";
            if (onBoot == "start")
            {
                problem += $"; when it boots it starts them all again (ON_BOOT=start, {bootSource}), outside Sundown's order and restore rules";
            }

            findings.Add(new Finding(
                DoubleHandling(facts), FindingCodes.LibvirtGuestsActive, FindingSubject.Machine,
                problem + (facts.SundownUnit.Enabled
                    ? $". {SundownUnitFacts.UnitName} is not ordered After={LibvirtGuestsFacts.UnitName}, so both stop at the same time and act on the same guests: steps collide, and Sundown's order, ladders and budget no longer hold"
                    : DoubleHandlingConsequence(facts)),
                facts.SundownUnit.Enabled ? $"{Disable}; or order Sundown first: After={LibvirtGuestsFacts.UnitName} in a drop-in (systemctl edit {SundownUnitFacts.UnitName})" : Disable));
            return;
        }

        string besides = $"{LibvirtGuestsFacts.UnitName} is enabled beside Sundown ({enabled}). {SundownUnitFacts.UnitName} is ordered After= it, so at shutdown Sundown's stop runs first, " +
            $"and libvirt-guests then finds no guest running: its stop action (ON_SHUTDOWN={onShutdown}: it {action}) has nothing to act on, and it records no guest to start at boot";
        if (onBoot == "start" && service.SavedGuests > 0)
        {
            findings.Add(new Finding(
                Severity.Warning, FindingCodes.LibvirtGuestsActive, FindingSubject.Machine,
                $"{besides}. But {service.SavedList!.Path} still names {service.SavedGuests} guest(s) from a shutdown it handled before Sundown, and at the next boot it starts them itself " +
                $"(ON_BOOT=start, {bootSource}), before Sundown and outside its order",
                $"if they should come back through Sundown instead, remove {service.SavedList.Path}; or {Disable}"));
            return;
        }

        findings.Add(new Finding(
            Severity.Info, FindingCodes.LibvirtGuestsActive, FindingSubject.Machine,
            besides,
            $"nothing needed; to leave only Sundown in charge, {Disable}"));
    }

    /// <summary>Another tool acting on the guests at shutdown is an error beside an enabled Sundown, and a warning until then.</summary>
    private static Severity DoubleHandling(HostFacts facts) => facts.SundownUnit.Enabled ? Severity.Error : Severity.Warning;

    private static string DoubleHandlingConsequence(HostFacts facts) => facts.SundownUnit.Enabled
        ? ". Sundown's stop acts on the same guests at the same time: steps collide, and its order, ladders and budget no longer hold"
        : $". {SundownUnitFacts.UnitName} is not enabled, so for now this is what handles the guests; once it is, both act on the same guests at once";

    /// <summary>A libvirt-guests setting as its script ends up with it: the settings file, else the script's default, else the man page's.</summary>
    private static (string Value, string Source) LibvirtGuestsSetting(LibvirtGuestsFacts service, string name, string upstream)
    {
        if (service.Defaults.Text is { } text && ShellAssignments.Parse(text).TryGetValue(name, out var set))
        {
            return (set.Value, $"set in {service.Defaults.Path}:{set.Line}");
        }

        if (service.Script is { Text: { } script } && ShellAssignments.Parse(script).TryGetValue(name, out var scriptDefault))
        {
            return (scriptDefault.Value, $"the default of {service.Script.Path}");
        }

        return (upstream, "libvirt-guests' default");
    }
}
