namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// libvirt 11.2's daemon-side auto-shutdown (src/qemu/qemu.conf.in): each key names which
    /// running guests ("all", "persistent", "transient"; "none" is off, the default of the
    /// system daemon) get that action when the host shuts down.
    /// </summary>
    private static readonly (string Key, Func<string, string> Action, bool Restores)[] s_autoShutdownKeys =
    [
        ("auto_shutdown_try_save", guests => $"managed-saves {guests}", true),
        ("auto_shutdown_try_shutdown", guests => $"asks {guests} to shut down and waits auto_shutdown_wait (30s by default)", false),
        ("auto_shutdown_poweroff", guests => $"powers off {guests} still running", true),
    ];

    /// <summary>Keys that circulating guides put in qemu.conf but libvirt has never had: it ignores them.</summary>
    private static readonly (string Key, string Fix)[] s_ignoredKeys =
    [
        ("auto_destroy", "remove it. Sundown stops the guests at shutdown; libvirt's own settings for that are auto_shutdown_try_save, auto_shutdown_try_shutdown and auto_shutdown_poweroff, which stay \"none\" beside Sundown"),
        ("auto_shutdown", "remove it. Sundown stops the guests at shutdown; libvirt's own settings for that are auto_shutdown_try_save, auto_shutdown_try_shutdown and auto_shutdown_poweroff, which stay \"none\" beside Sundown"),
        ("shutdown_timeout", "remove it. With Sundown a guest's wait is its ladder's timeout (stop = [\"acpi 2m\", …]) within the budget; libvirt's own setting is auto_shutdown_wait"),
    ];

    /// <summary>Whether qemu.conf switches on any of the daemon's own shutdown actions.</summary>
    private static bool DaemonAutoShutdownActive(HostFacts facts) =>
        facts.HasDaemonAutoShutdown
        && facts.QemuConf.Text is { } text
        && QemuConf.Parse(text) is var conf
        && s_autoShutdownKeys.Any(k => conf.Find(k.Key) is { IsString: true, Value: not "none" });

    /// <summary>qemu.conf: the daemon's own auto-shutdown switched on, and keys that do nothing.</summary>
    private static void DaemonSettings(HostFacts facts, List<Finding> findings)
    {
        var file = facts.QemuConf;
        if (file.Unreadable is { } why)
        {
            findings.Add(NotChecked($"cannot read {file.Path} ({why}): libvirt's own auto-shutdown settings were not checked"));
            return;
        }

        if (file.Text is null)
        {
            return;
        }

        var conf = QemuConf.Parse(file.Text);
        if (conf.Error is { } error)
        {
            findings.Add(NotChecked($"{file.Path} could not be read past {error}; the settings after it were not checked"));
        }

        // libvirt marks the guests it saved or powered off to start again unless this is 0.
        bool restores = conf.Find("auto_shutdown_restore") is not { Value: "0" };
        foreach (var (key, action, marksForRestore) in s_autoShutdownKeys)
        {
            if (conf.Find(key) is not { IsString: true } entry || entry.Value == "none")
            {
                continue;
            }

            if (!facts.HasDaemonAutoShutdown)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.QemuConfIgnoredKey, FindingSubject.Machine,
                    $"{file.Path}:{entry.Line}: {key} = \"{entry.Value}\": this libvirt ({Version(facts.LibvirtVersion!.Value)}) ignores the key: the daemon's own auto-shutdown arrived in libvirt 11.2",
                    $"remove it: Sundown stops the guests at shutdown, and after an upgrade to libvirt 11.2 or later the key would switch on a second, unordered shutdown"));
                continue;
            }

            string guests = entry.Value switch
            {
                "all" => "every running guest",
                "persistent" => "every running persistent guest",
                "transient" => "every running transient guest",
                _ => $"the running guests (\"{entry.Value}\")",
            };
            string problem = $"{file.Path}:{entry.Line}: {key} = \"{entry.Value}\": when the host shuts down, libvirt's daemon itself {action(guests)}, on its own, without Sundown's order, ladders or budget";
            if (restores && marksForRestore)
            {
                problem += ", and marks them to start again at the next boot (auto_shutdown_restore is on unless set to 0)";
            }

            findings.Add(new Finding(
                DoubleHandling(facts), FindingCodes.LibvirtAutoShutdownActive, FindingSubject.Machine,
                problem + DoubleHandlingConsequence(facts),
                $"set {key} = \"none\" in {file.Path}, then restart the daemon (virtqemud, or libvirtd): running guests are not affected"));
        }

        foreach (var (key, fix) in s_ignoredKeys)
        {
            if (conf.Find(key) is { } entry)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.QemuConfIgnoredKey, FindingSubject.Machine,
                    $"{file.Path}:{entry.Line}: {key} is not a libvirt setting, though guides recommend it: libvirt ignores this key, so it changes nothing at shutdown",
                    fix));
            }
        }
    }

    private static string Version(ulong version) => $"{version / 1_000_000}.{version / 1000 % 1000}.{version % 1000}";
}
