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

    /// <summary>The words bench/RESULTS.md uses.</summary>
    internal static string Describe(GuestFate fate) => fate switch
    {
        GuestFate.ShutDown => "shut down",
        GuestFate.Saved => "saved",
        GuestFate.ForcedOff => "forced off",
        GuestFate.KilledByHost => "killed by the host's shutdown",
        GuestFate.NoExitRecorded => "no exit recorded",
        GuestFate.Other => "other (see its QEMU log)",
        _ => throw new ArgumentOutOfRangeException(nameof(fate)),
    };

    [GeneratedRegex(@"terminating on signal \d+ from pid \d+ \((?<sender>[^)]*)\)")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"shutting down, reason=(?<reason>\w+)")]
    private static partial Regex ReasonLine();
}
