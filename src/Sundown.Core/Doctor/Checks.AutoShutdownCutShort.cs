using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>logind's InhibitDelayMaxSec= when nothing sets it (logind.conf(5)).</summary>
    private static readonly TimeSpan s_logindInhibitDelayDefault = TimeSpan.FromSeconds(5);

    /// <summary>The system daemon's URI: the one whose guests /etc/libvirt/qemu.conf governs.</summary>
    private const string SystemUri = "qemu:///system";

    /// <summary>qemu.conf's auto_shutdown_wait when unset, or set to 0 (which also means 30).</summary>
    private const int AutoShutdownWaitDefault = 30;

    /// <summary>
    /// libvirt's own stop, cut short by logind. The daemon runs its auto-shutdown when logind
    /// announces the shutdown (PrepareForShutdown), holding a delay lock; logind waits for that
    /// lock only InhibitDelayMaxSec, then goes on. libvirt saves the guests one at a time, then
    /// asks the rest to shut down and waits auto_shutdown_wait, then powers off what is left:
    /// whatever is not done when the lock runs out never finishes, and systemd kills the guests
    /// still running with their machine scopes (seen on Debian 13: wait 10 s, lock cut at 5 s).
    /// </summary>
    private static void AutoShutdownCutShort(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, List<Finding> findings)
    {
        if (!facts.HasDaemonAutoShutdown || facts.QemuConf.Text is not { } text)
        {
            return;
        }

        var conf = QemuConf.Parse(text);
        bool On(string key) => conf.Find(key) is { IsString: true, Value: not "none" };
        bool saves = On("auto_shutdown_try_save");
        bool shutdowns = On("auto_shutdown_try_shutdown");
        bool poweroffs = On("auto_shutdown_poweroff");
        if (!saves && !shutdowns && !poweroffs)
        {
            return;
        }

        var (delay, delaySource) = InhibitDelay(facts);
        if (delay is not { } limit)
        {
            return;
        }

        var parts = new List<string>();
        var needed = TimeSpan.Zero;
        // Only the system daemon reads this qemu.conf; libvirt acts on every active guest.
        var active = guests.Select(g => g.Guest)
            .Where(g => g.Uri == SystemUri && g.State is GuestState.Running or GuestState.Paused or GuestState.Blocked)
            .ToList();
        // try_save takes "persistent" (or "none"): libvirt saves only persistent guests.
        var toSave = saves ? active.Where(g => g.Persistent).ToList() : [];
        if (saves)
        {
            if (toSave.Count > 0)
            {
                double speed = facts.History.SaveBytesPerSecond ?? Estimates.Default.SaveBytesPerSecond;
                double bytes = toSave.Sum(g => g.MemoryKiB * 1024.0);
                var saving = TimeSpan.FromSeconds(bytes / speed) + (Estimates.SaveOverhead * toSave.Count);
                needed += saving;
                string measured = facts.History.SaveBytesPerSecond is null ? "an assumed" : "this host's";
                parts.Add($"it saves {Plural(toSave.Count, "running guest")} one at a time ({Bytes(bytes)} of memory: about {Time(saving)} at {measured} {Bytes(speed)}/s)");
            }
        }

        int wait = AutoShutdownWaitDefault;
        string waitSource = "its default";
        // libvirt's wait ends as soon as every guest it asked is off; when the saves take every
        // active guest, it asks none. With no guest active now, the ones running at shutdown
        // are unknown: the wait counts.
        bool waits = shutdowns && (active.Count == 0 || toSave.Count < active.Count);
        if (waits)
        {
            if (conf.Find("auto_shutdown_wait") is { IsString: false } entry && int.TryParse(entry.Value, out int seconds) && seconds > 0)
            {
                wait = seconds;
                waitSource = $"{facts.QemuConf.Path}:{entry.Line}";
            }
            else if (conf.Find("auto_shutdown_wait") is { } zero)
            {
                waitSource = $"{facts.QemuConf.Path}:{zero.Line}, where 0 means 30s";
            }

            needed += TimeSpan.FromSeconds(wait);
            parts.Add($"it asks the guests to shut down and waits up to auto_shutdown_wait = {wait}s ({waitSource}) for them");
        }

        if (needed <= limit)
        {
            return;
        }

        string after = poweroffs ? "its wait and its poweroff step never finish" : "what it has not done by then never finishes";
        // The wait is a timer that a guest ignoring ACPI runs to its end; the saves' time is an
        // estimate (this host's measured speed once the journal has one).
        var severity = waits ? Severity.Error : Severity.Warning;
        string will = waits ? "will" : "can";
        string problem = $"libvirt's own stop {will} be cut short: when the host shuts down, {string.Join("; then ", parts)}, about {Time(needed)} in all, "
            + $"but logind waits for the daemon's delay lock only InhibitDelayMaxSec = {Time(limit)} ({delaySource}) and then goes on with the shutdown: "
            + $"{after}, and the guests still running are killed by systemd with their machine scopes (SIGTERM to QEMU), neither saved nor shut down";
        string fix = $"let Sundown stop the guests instead (set auto_shutdown_try_save, auto_shutdown_try_shutdown and auto_shutdown_poweroff to \"none\" in {facts.QemuConf.Path}: "
            + $"Sundown's unit holds the shutdown with its own stop timeout, not a logind delay lock), "
            + $"or raise logind's limit above libvirt's need: InhibitDelayMaxSec={(int)Math.Ceiling(needed.TotalSeconds) + 5} under [Login] in /etc/systemd/logind.conf.d/libvirt.conf, read when systemd-logind starts";
        findings.Add(new Finding(severity, FindingCodes.LibvirtAutoShutdownCutShort, FindingSubject.Machine, problem, fix));
    }

    /// <summary>logind's InhibitDelayMaxSec= as logind reads it: logind.conf, then its drop-ins, the last setting winning; null for infinity.</summary>
    private static (TimeSpan? Delay, string Source) InhibitDelay(HostFacts facts)
    {
        var logind = facts.LogindConfs
            .Where(conf => conf.Text is not null)
            .Aggregate(SystemdUnit.Empty, (merged, conf) => merged.With(SystemdUnit.Parse(conf.Text!, conf.Path)));
        // An invalid value is logged and ignored by logind: the default stays.
        return logind.Get("Login", "InhibitDelayMaxSec") is { } set && SystemdTimeSpans.TryParse(set.Value, out var delay)
            ? (delay, $"{set.File}:{set.Line}")
            : (s_logindInhibitDelayDefault, "logind's default");
    }
}
