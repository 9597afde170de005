using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Execution;

/// <summary>
/// The timing properties of a stop, over many random fleets on the simulated host: the
/// deadline is never passed, tiers stop in order, limits hold, every guest ends off, and a
/// guest is destroyed only when its graceful steps timed out or failed.
/// </summary>
public sealed class StopPropertyTests
{
    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 24)];

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Seeds))]
    public async Task Random_fleets_keep_every_timing_property(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
        var host = new SimulatedHost(time);
        var policies = new Dictionary<string, GuestPolicy>();
        string[][] ladders = [["acpi 20s"], ["acpi 10s", "save"], ["save", "agent 5s", "acpi 15s"], ["agent 30s"]];
        for (int i = 0; i < random.Next(1, 16); i++)
        {
            var behaviour = new SimulatedHost.Behaviour(
                AcpiDelay: random.Next(4) == 0 ? null : TimeSpan.FromSeconds(random.Next(0, 40)),
                AgentDelay: random.Next(2) == 0 ? null : TimeSpan.FromSeconds(random.Next(0, 10)),
                SaveTime: TimeSpan.FromSeconds(random.Next(1, 8)),
                SaveFails: random.Next(6) == 0);
            var state = random.Next(8) switch { 0 => GuestState.Paused, 1 => GuestState.Shutoff, _ => GuestState.Running };
            var guest = host.Add($"g{i:D2}", behaviour, state, persistent: random.Next(6) != 0, memoryKiB: 256 * 1024);
            policies[guest.Uuid] = GuestPolicy.Default with { Order = random.Next(3) * 10, Stop = StopLadder.Create(ladders[random.Next(ladders.Length)]) };
        }

        var budget = TimeSpan.FromSeconds(random.Next(8, 120));
        var limits = new Limits(Shutdowns: random.Next(0, 3), Saves: random.Next(0, 3), Starts: 4);
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policies[g.Uuid]))], budget, limits, new Estimates(256.0 * 1024 * 1024));
        var recorder = new MemoryRecorder();
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, limits, recorder, time);
        var start = time.GetUtcNow();

        var report = await VirtualClock.RunAsync(time, () => executor.RunAsync(plan, start, CancellationToken.None), TimeSpan.FromHours(1));

        string context = $"seed {seed}, budget {budget}, limits {limits}";
        // Every guest ends off: shut down, saved or destroyed; transient ones are gone.
        Assert.All(host.Guests, g => Assert.True(g.Info.State == GuestState.Shutoff, $"{context}: {g.Info.Name} is {g.Info.State}"));
        Assert.Equal(policies.Count, report.Length);
        Assert.DoesNotContain(report, g => g.Outcome is "failed" or "skipped");
        // The deadline is never passed, but for the destroy's own time: the plan keeps the
        // destroy's allowance before each deadline, and a destroy takes the host's DestroyTime
        // (QEMU's SIGTERM and exit), so a guest destroyed at the last moment is off at most
        // DestroyTime − allowance (0.5 s here) late. The stop itself is over by then, too. Both
        // are seen to the virtual clock's resolution, a tick: on a busy CPU the clock can move on
        // (VirtualClock.Settle) a moment before a host-call thread has run (CI once saw 0.1 s over).
        var margin = host.DestroyTime - Estimates.DestroyAllowance + VirtualClock.Tick;
        Assert.All(host.Guests.Where(g => g.OffAt is not null), g => Assert.True(g.OffAt!.Value - start <= budget + margin, $"{context}: {g.Info.Name} off at {g.OffAt - start}"));
        Assert.True(time.GetUtcNow() - start <= budget + margin, $"{context}: the stop ended at {time.GetUtcNow() - start}");
        // Tiers stop in order: no step of a lower tier begins before every guest of the higher tier is off.
        foreach (var (upper, lower) in plan.Tiers.Zip(plan.Tiers.Skip(1)))
        {
            var upperOff = upper.Guests.Select(g => host.Guests.Single(s => s.Info.Uuid == g.Guest.Uuid).OffAt ?? start).Max();
            var lowerSteps = lower.Guests.SelectMany(g => recorder.StepsOf(g.Guest.Uuid)).Select(s => s.StartedAt).DefaultIfEmpty(DateTimeOffset.MaxValue);
            Assert.True(lowerSteps.Min() >= upperOff, $"{context}: tier {lower.Order} began before tier {upper.Order} was off");
        }

        // Concurrency limits are never exceeded.
        if (limits.Saves > 0)
        {
            Assert.True(host.MaxConcurrentSaves <= limits.Saves, $"{context}: {host.MaxConcurrentSaves} saves at once");
        }

        // libvirtd's per-connection limit: the long calls (saves, agent requests) leave a slot for the short ones.
        Assert.True(host.MaxConcurrentLongCalls <= StopExecutor.LongCallsPerHost, $"{context}: {host.MaxConcurrentLongCalls} long calls at once");

        if (limits.Shutdowns > 0)
        {
            Assert.True(MaxOverlap(recorder, "acpi", "agent") <= limits.Shutdowns, $"{context}: too many shutdowns at once");
        }

        // A guest is destroyed only when its graceful steps timed out, failed or had no time.
        foreach (var guest in report.Where(g => g.Outcome == "destroyed"))
        {
            var steps = recorder.StepsOf(guest.Uuid);
            Assert.Equal("destroy", steps[^1].Action);
            Assert.All(steps.SkipLast(1), s => Assert.True(s.Action is "resume" or "wakeup" || s.Result is not StepResult.Ok, $"{context}: {guest.Name} destroyed after {s.Action} succeeded"));
        }
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Seeds))]
    public async Task Random_fleets_on_a_host_that_freezes_for_20_s_end_within_the_budget_and_its_grace(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
        var host = new SimulatedHost(time);
        var policies = new Dictionary<string, GuestPolicy>();
        string[][] ladders = [["acpi 20s"], ["acpi 10s", "save"], ["save", "agent 5s", "acpi 15s"], ["agent 30s"]];
        for (int i = 0; i < random.Next(1, 12); i++)
        {
            var behaviour = new SimulatedHost.Behaviour(
                AcpiDelay: random.Next(3) == 0 ? null : TimeSpan.FromSeconds(random.Next(0, 40)),
                AgentDelay: random.Next(2) == 0 ? null : TimeSpan.FromSeconds(random.Next(0, 10)),
                SaveTime: TimeSpan.FromSeconds(random.Next(1, 30)));
            var guest = host.Add($"g{i:D2}", behaviour, random.Next(6) == 0 ? GuestState.Paused : GuestState.Running, memoryKiB: 256 * 1024);
            policies[guest.Uuid] = GuestPolicy.Default with { Order = random.Next(2) * 10, Stop = StopLadder.Create(ladders[random.Next(ladders.Length)]) };
        }

        var budget = TimeSpan.FromSeconds(random.Next(10, 90));
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policies[g.Uuid]))], budget, Limits.Default, new Estimates(256.0 * 1024 * 1024));
        var recorder = new MemoryRecorder();
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, recorder, time);
        var freezeAt = TimeSpan.FromSeconds(random.Next(0, (int)budget.TotalSeconds));
        time.CreateTimer(_ => host.Freeze(TimeSpan.FromSeconds(20)), null, freezeAt, Timeout.InfiniteTimeSpan);
        var start = time.GetUtcNow();

        var report = await VirtualClock.RunAsync(time, () => executor.RunAsync(plan, start, CancellationToken.None), TimeSpan.FromHours(1));

        string context = $"seed {seed}, budget {budget}, frozen from {freezeAt} for 20 s";
        // The stop ends by its budget and the destroy's grace, however long the host stayed frozen.
        Assert.True(time.GetUtcNow() - start <= budget + Estimates.DestroyGrace + VirtualClock.Tick, $"{context}: the stop ended at {time.GetUtcNow() - start}");
        Assert.Equal(policies.Count, report.Length);
        foreach (var guest in report)
        {
            var simulated = host.Guests.Single(g => g.Info.Uuid == guest.Uuid);
            if (guest.Outcome == "failed")
            {
                // Only a guest whose destroy libvirt did not answer in time is left failed, and
                // only when the host was frozen during that destroy.
                var destroy = guest.Steps[^1];
                Assert.Equal(("destroy", "timeout"), (destroy.Action, destroy.Result));
                Assert.True(
                    start + freezeAt < destroy.EndedAt && start + freezeAt + TimeSpan.FromSeconds(20) > destroy.StartedAt,
                    $"{context}: {guest.Name} failed though the host was not frozen during its destroy ({destroy.StartedAt - start} to {destroy.EndedAt - start})");
            }
            else
            {
                // Every other guest is off, as reported.
                Assert.True(simulated.Info.State == GuestState.Shutoff, $"{context}: {guest.Name} is {simulated.Info.State}, reported {guest.Outcome}");
                Assert.Contains(guest.Outcome, new[] { "shutdown", "saved", "destroyed" });
            }
        }

        host.Thaw();
    }

    private static int MaxOverlap(MemoryRecorder recorder, params string[] actions)
    {
        var edges = recorder.Steps.Values
            .Where(s => actions.Contains(s.Action) && s.Result != StepResult.Skipped)
            .SelectMany(s => new[] { (At: s.StartedAt, Delta: 1), (At: s.EndedAt!.Value, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int now = 0, max = 0;
        foreach (var edge in edges)
        {
            now += edge.Delta;
            max = Math.Max(max, now);
        }

        return max;
    }
}
