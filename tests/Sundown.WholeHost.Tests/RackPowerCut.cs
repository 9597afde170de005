using System.Diagnostics;
using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// The power cut of a rack on one UPS (<see cref="RackPowerCutTests"/>), played in real time: the
/// primary's UPS goes on battery with <c>battery.runtime</c> falling a second a second, LB below
/// <c>battery.runtime.low</c>. The power ends when the runtime reaches 0, or when the primary has
/// powered off: its shutdown ends with NUT's killpower, which turns the UPS, and every host on
/// it, off. Then every host still running is killed at once (<c>host.sh cut</c>), and each
/// guest's fate is read from outside.
/// </summary>
internal static class RackPowerCut
{
    /// <summary>One host of the rack as it was set up for the cut.</summary>
    internal sealed record Member(string Name, WholeHost Host, IReadOnlyList<string> Guests);

    /// <summary>One host when the power ended.</summary>
    /// <param name="OffBefore">How long before the cut its container had powered off; null when it still ran.</param>
    internal sealed record HostAtCut(string Name, IReadOnlyList<GuestAtCut> Guests, TimeSpan? OffBefore, HostShutdownJournal Journal)
    {
        internal string Describe() => OffBefore is { } before
            ? string.Create(CultureInfo.InvariantCulture, $"off {before.TotalSeconds:0.0} s before")
            : "running at the cut";
    }

    /// <param name="Hosts">The primary first, then the secondaries, as set up.</param>
    /// <param name="Runtime">The runtime left when the power ended: 0, or what the primary's killpower left unused.</param>
    /// <param name="Cut">When the power ended.</param>
    internal sealed record Result(IReadOnlyList<HostAtCut> Hosts, int Runtime, DateTimeOffset Cut)
    {
        internal IEnumerable<GuestAtCut> Guests => Hosts.SelectMany(h => h.Guests);

        internal string Evidence => string.Join('\n', Hosts.Select(h =>
            $"{h.Name} ({h.Describe()}):\n" + string.Join('\n', h.Guests.Select(g => $"  {g.Guest}: {g.Describe()}")) + "\n" +
            string.Join('\n', h.Journal.LinesWith("upsmon").Concat(h.Journal.LinesWith("sundown")).Take(60)))) +
            $"\nthe power ended with battery.runtime {Runtime}";
    }

    internal static async Task<Result> PlayAsync(HostNut ups, IReadOnlyList<Member> rack, int runtime, int runtimeLow)
    {
        var watches = new List<QemuWatch>();
        try
        {
            foreach (var member in rack)
            {
                int pid = int.Parse((await member.Host.CheckedPidAsync()).Trim(), CultureInfo.InvariantCulture);
                watches.Add(QemuWatch.Start(pid, member.Guests));
            }

            var primary = rack[0].Host;
            var clock = Stopwatch.StartNew();
            int second = 0;
            for (; second < runtime && primary.ExitedAt is null; second++)
            {
                ups.WriteDev(HostNut.OnBattery(runtime - second, runtime, runtimeLow));
                var next = TimeSpan.FromSeconds(second + 1) - clock.Elapsed;
                if (next > TimeSpan.Zero)
                {
                    await Task.Delay(next);
                }
            }

            // The power ends for every host at the same moment: each cut at once, side by side.
            var cuts = await Task.WhenAll(rack.Select(m => m.Host.CutAsync()));
            var cut = cuts.Min();
            var hosts = new List<HostAtCut>();
            for (int i = 0; i < rack.Count; i++)
            {
                var (guests, journal) = await PowerCut.GuestsAtCutAsync(rack[i].Host, watches[i], rack[i].Guests, cut);
                var exited = rack[i].Host.ExitedAt;
                hosts.Add(new HostAtCut(rack[i].Name, guests, exited is { } at && at < cut ? cut - at : null, journal));
            }

            return new Result(hosts, runtime - second, cut);
        }
        finally
        {
            foreach (var watch in watches)
            {
                await watch.DisposeAsync();
            }
        }
    }
}
