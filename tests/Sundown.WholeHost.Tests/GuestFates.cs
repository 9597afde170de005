using System.Text.RegularExpressions;

namespace Sundown.WholeHost.Tests;

/// <summary>Reads a <see cref="GuestFate"/> from libvirt's log of a guest's QEMU.</summary>
internal static partial class GuestFates
{
    /// <summary>
    /// The fate of the guest's last QEMU process in <paramref name="qemuLog"/> (libvirt appends one
    /// section per start, each beginning with "starting up").
    /// </summary>
    internal static GuestFate Read(string qemuLog, out string evidence)
    {
        int lastStart = qemuLog.LastIndexOf(": starting up", StringComparison.Ordinal);
        string last = lastStart < 0 ? qemuLog : qemuLog[lastStart..];

        // "terminating on signal 15 from pid 35 (/usr/sbin/libvirtd)": libvirt's own destroy or its
        // clean-up after a guest powered off (the monolithic daemon, or the modular QEMU one). From
        // anyone else, the guest was killed.
        foreach (Match signal in SignalLine().Matches(last))
        {
            string sender = signal.Groups["sender"].Value;
            if (!sender.EndsWith("/libvirtd", StringComparison.Ordinal) && !sender.EndsWith("/virtqemud", StringComparison.Ordinal))
            {
                evidence = signal.Value.Trim();
                return GuestFate.KilledByHost;
            }
        }

        var reason = ReasonLine().Match(last);
        evidence = reason.Success ? reason.Value.Trim() : "(no 'shutting down' line)";
        return reason.Success
            ? reason.Groups["reason"].Value switch
            {
                "shutdown" => GuestFate.ShutDown,
                "saved" => GuestFate.Saved,
                "destroyed" => GuestFate.ForcedOff,
                _ => GuestFate.Other,
            }
            : GuestFate.NoExitRecorded;
    }

    /// <summary>
    /// The fates of <paramref name="names"/> after a poweroff of <paramref name="host"/>: from
    /// libvirt's QEMU log of each, else, when that log ends without the guest's exit (see
    /// <see cref="GuestFate.OffUnlogged"/>), from systemd's journal of the guest's machine scope: a
    /// scope still holding QEMU when its stop job ran is logged "Stopping machine-qemu…" and then
    /// killed; an empty one only "Stopped".
    /// </summary>
    internal static List<(string Guest, GuestFate Fate)> AtPowerOff(WholeHost host, HostShutdownJournal journal, IEnumerable<string> names) =>
        [.. names.Select(name =>
        {
            var fate = Read(host.QemuLog(name), out _);
            string scope = $"{ScopeName(name)}.scope";
            if (fate == GuestFate.NoExitRecorded && journal.Find(scope) is not null)
            {
                bool killed = journal.LinesWith("Stopping machine-qemu").Any(line => line.Contains(scope, StringComparison.Ordinal));
                fate = killed ? GuestFate.KilledByHost : GuestFate.OffUnlogged;
            }

            return (name, fate);
        })];

    /// <summary>
    /// The end of a guest's machine scope name as systemd logs it: libvirt names the machine
    /// qemu-ID-NAME with only NAME's letters, digits and single dots or dashes
    /// (virDomainMachineNameAppendValid), and systemd escapes each dash as \x2d.
    /// </summary>
    private static string ScopeName(string guest)
    {
        var valid = new System.Text.StringBuilder();
        bool lastWasSeparator = false;
        foreach (char c in guest)
        {
            if (c is '.' or '-')
            {
                if (!lastWasSeparator)
                {
                    valid.Append(c);
                }

                lastWasSeparator = true;
                continue;
            }

            lastWasSeparator = false;
            if (char.IsAsciiLetterOrDigit(c))
            {
                valid.Append(c);
            }
        }

        return "\\x2d" + valid.ToString().Trim('-').Replace("-", "\\x2d", StringComparison.Ordinal);
    }

    /// <summary>The words bench/RESULTS.md uses.</summary>
    internal static string Describe(GuestFate fate) => fate switch
    {
        GuestFate.ShutDown => "shut down",
        GuestFate.Saved => "saved",
        GuestFate.ForcedOff => "forced off",
        GuestFate.KilledByHost => "killed by the host's shutdown",
        GuestFate.NoExitRecorded => "no exit recorded",
        GuestFate.OffUnlogged => "off before the host's shutdown (its QEMU log lost)",
        GuestFate.Other => "other (see its QEMU log)",
        _ => throw new ArgumentOutOfRangeException(nameof(fate)),
    };

    [GeneratedRegex(@"terminating on signal \d+ from pid \d+ \((?<sender>[^)]*)\)")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"shutting down, reason=(?<reason>\w+)")]
    private static partial Regex ReasonLine();
}
