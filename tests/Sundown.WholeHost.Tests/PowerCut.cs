using System.Diagnostics;
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

/// <summary>
/// The power cut, played in real time against a booted host with <see cref="HostNut"/>: the UPS
/// goes on battery with <c>battery.runtime</c> falling a second a second, LB below
/// <c>battery.runtime.low</c>; when the runtime reaches 0 the host is killed at once
/// (<c>host.sh cut</c>: the power is gone, nothing finishes). Then, from outside, what was safe.
/// </summary>
internal static class PowerCut
{
    /// <summary>The result of one cut.</summary>
    /// <param name="Guests">Each guest, in the fleet's order.</param>
    /// <param name="NutShutdownBefore">How long before the cut upsmon decided to shut the host down; null if it never did.</param>
    /// <param name="Journal">The host's journal of that boot, as far as it was written.</param>
    internal sealed record Result(IReadOnlyList<GuestAtCut> Guests, TimeSpan? NutShutdownBefore, HostShutdownJournal Journal)
    {
        internal string Evidence => string.Join('\n', Guests.Select(g => $"{g.Guest}: {g.Describe()}")) +
            $"\nNUT's shutdown: {(NutShutdownBefore is { } b ? $"{b.TotalSeconds:0.0} s before the cut" : "never")}\n" +
            string.Join('\n', Journal.LinesWith("upsmon").Concat(Journal.LinesWith("sundown")).Take(80));
    }

    /// <summary>
    /// Plays the cut: on battery at <paramref name="runtime"/> seconds, one .dev write a second,
    /// then the kill when it reaches 0. <paramref name="guests"/> are watched from outside all along.
    /// </summary>
    internal static async Task<Result> PlayAsync(WholeHost host, HostNut nut, int runtime, int runtimeLow, IReadOnlyList<string> guests)
    {
        int hostPid = int.Parse((await host.CheckedPidAsync()).Trim(), CultureInfo.InvariantCulture);
        await using var watch = QemuWatch.Start(hostPid, guests);
        var clock = Stopwatch.StartNew();
        for (int second = 0; second < runtime; second++)
        {
            nut.WriteDev(HostNut.OnBattery(runtime - second, runtime, runtimeLow));
            var next = TimeSpan.FromSeconds(second + 1) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next);
            }
        }

        // The watch goes on past the cut: a QEMU it sees end from now on ran at the cut.
        var cut = await host.CutAsync();
        var (atCut, journal) = await GuestsAtCutAsync(host, watch, guests, cut);
        var decided = await host.JournalTimeAsync(HostNut.ShutdownDecision);
        return new Result(atCut, decided is { } at && at < cut ? cut - at : null, journal);
    }

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
