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
    /// killed; one that emptied by itself only "Stopped". With neither line, nothing is known.
    /// </summary>
    internal static List<(string Guest, GuestFate Fate)> AtPowerOff(WholeHost host, HostShutdownJournal journal, IEnumerable<string> names) =>
        [.. names.Select(name =>
        {
            var fate = Read(host.QemuLog(name), out _);
            if (fate == GuestFate.NoExitRecorded)
            {
                var scope = ScopeLine(name);
                if (journal.LinesWith("Stopping machine-qemu").Any(scope.IsMatch))
                {
                    fate = GuestFate.KilledByHost;
                }
                else if (journal.LinesWith("Stopped machine-qemu").Any(scope.IsMatch))
                {
                    fate = GuestFate.OffUnlogged;
                }
            }

            return (name, fate);
        })];

    /// <summary>
    /// Matches systemd's lines about the guest's machine scope, machine-qemu\x2dID\x2dNAME.scope:
    /// libvirt names the machine qemu-ID-NAME, NAME cut to the letters, digits and single dots or
    /// dashes of the guest's name, without leading or trailing ones (virDomainMachineNameAppendValid,
    /// which also cuts the whole at 64 characters); systemd escapes each dash as \x2d.
    /// </summary>
    private static Regex ScopeLine(string guest)
    {
        var valid = new System.Text.StringBuilder();
        bool skipSeparator = true;
        foreach (char c in guest)
        {
            if (c is '.' or '-')
            {
                if (!skipSeparator)
                {
                    valid.Append(c);
                }

                skipSeparator = true;
                continue;
            }

            skipSeparator = false;
            if (char.IsAsciiLetterOrDigit(c))
            {
                valid.Append(c);
            }
        }

        string name = valid.ToString().TrimEnd('-', '.');
        string escaped = Regex.Escape(name).Replace("-", @"\\x2d", StringComparison.Ordinal);
        // The 64-character cut is not applied: the fleets' names are far shorter.
        return new Regex($@"machine-qemu\\x2d\d+\\x2d{escaped}\.scope");
    }

    /// <summary>The words bench/RESULTS.md uses.</summary>
    internal static string Describe(GuestFate fate) => fate switch
    {
        GuestFate.ShutDown => "shut down",
        GuestFate.Saved => "saved",
        GuestFate.ForcedOff => "forced off",
        GuestFate.KilledByHost => "killed by the host's shutdown",
        GuestFate.NoExitRecorded => "no exit recorded",
        GuestFate.OffUnlogged => "off, not killed (its QEMU log lost)",
        GuestFate.Other => "other (see its QEMU log)",
        _ => throw new ArgumentOutOfRangeException(nameof(fate)),
    };

    [GeneratedRegex(@"terminating on signal \d+ from pid \d+ \((?<sender>[^)]*)\)")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"shutting down, reason=(?<reason>\w+)")]
    private static partial Regex ReasonLine();
}
