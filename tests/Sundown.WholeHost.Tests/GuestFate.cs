using System.Text.RegularExpressions;

namespace Sundown.WholeHost.Tests;

/// <summary>How a guest's QEMU ended at the host's shutdown, read from libvirt's log of it.</summary>
internal enum GuestFate
{
    /// <summary>The guest powered itself off (ACPI or agent): libvirt logged reason=shutdown.</summary>
    ShutDown,

    /// <summary>Managed-saved: reason=saved.</summary>
    Saved,

    /// <summary>Powered off by libvirt on request (virDomainDestroy): reason=destroyed.</summary>
    ForcedOff,

    /// <summary>
    /// QEMU got a signal from someone other than libvirtd, typically PID 1 stopping the guest's machine
    /// scope: what happens to guests nobody handled before the host went down.
    /// </summary>
    KilledByHost,

    /// <summary>Still running when the log ends: no exit was recorded at all.</summary>
    NoExitRecorded,
}

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
        // clean-up after a guest powered off. From anyone else, the guest was killed.
        foreach (Match signal in SignalLine().Matches(last))
        {
            if (!signal.Groups["sender"].Value.EndsWith("/libvirtd", StringComparison.Ordinal))
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
                string other => throw new InvalidOperationException($"unexpected end of a guest: reason={other}"),
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
        _ => throw new ArgumentOutOfRangeException(nameof(fate)),
    };

    [GeneratedRegex(@"terminating on signal \d+ from pid \d+ \((?<sender>[^)]*)\)")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"shutting down, reason=(?<reason>\w+)")]
    private static partial Regex ReasonLine();
}
