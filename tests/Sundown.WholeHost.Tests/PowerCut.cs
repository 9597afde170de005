using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>One guest when the power ended: its fate, and how long before the cut its QEMU ended.</summary>
/// <param name="Fate">How its QEMU ended; null when it still ran at the cut.</param>
/// <param name="Before">How long before the cut its QEMU ended; null when it still ran.</param>
internal sealed record GuestAtCut(string Guest, GuestFate? Fate, TimeSpan? Before)
{
    /// <summary>
    /// Safe: off by its own shutdown, or saved, before the power ended. A guest forced off lost
    /// what it had not written; one still running lost it all.
    /// </summary>
    internal bool Safe => Fate is GuestFate.ShutDown or GuestFate.Saved or GuestFate.OffUnlogged;

    /// <summary>The words bench/RESULTS.md uses: the fate and when.</summary>
    internal string Describe() => Fate is { } fate && Before is { } before
        ? string.Create(CultureInfo.InvariantCulture, $"{GuestFates.Describe(fate)}, {before.TotalSeconds:0.0} s before")
        : "running at the cut";
}

/// <summary>What a power cut left of each guest, read from outside the host (<see cref="RackPowerCut"/>).</summary>
internal static class PowerCut
{
    /// <summary>
    /// Each guest of <paramref name="host"/> when the power ended at <paramref name="cut"/>, from
    /// <paramref name="watch"/> (when its QEMU ended) and the host's logs (how), and the journal of
    /// the host's last boot.
    /// </summary>
    internal static async Task<(IReadOnlyList<GuestAtCut> Guests, HostShutdownJournal Journal)> GuestsAtCutAsync(
        WholeHost host, QemuWatch watch, IReadOnlyList<string> guests, DateTimeOffset cut)
    {
        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        var atCut = new List<GuestAtCut>();
        foreach (string guest in guests)
        {
            if (watch.EndedAt(guest) is not { } ended || ended >= cut)
            {
                atCut.Add(new GuestAtCut(guest, null, null));
                continue;
            }

            var fate = GuestFates.AtPowerOff(host, journal, [guest])[0].Fate;
            // A managed save whose QEMU log lost its end (virtlogd stopped): the image says it.
            if (fate == GuestFate.NoExitRecorded && File.Exists(host.InRoot($"/var/lib/libvirt/qemu/save/{guest}.save")))
            {
                fate = GuestFate.Saved;
            }

            // libvirt-guests says which guests it shut down, where virtlogd's stop lost the QEMU log.
            if (fate == GuestFate.OffUnlogged && journal.LinesWith($"Shutdown of guest {guest} complete").Any())
            {
                fate = GuestFate.ShutDown;
            }

            atCut.Add(new GuestAtCut(guest, fate, cut - ended));
        }

        return (atCut, journal);
    }
}
