using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Simulation;
using Sundown.Engine.Tests.Stopping;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>The restore list kept in the guests' own metadata when the journal cannot be kept on disk.</summary>
public sealed class RestoreMarksTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 18, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("running", 0)]
    [InlineData("paused", 10)]
    [InlineData("pmsuspended", -5)]
    public void A_mark_reads_back_as_the_entry_it_was_written_for(string state, int order)
    {
        var guest = Guest("web");

        var entry = RestoreMarks.Parse(guest, RestoreMarks.Xml(7, s_at, state, order));

        Assert.NotNull(entry);
        Assert.Equal((7L, s_at), (entry.StopRun, entry.StoppedAt));
        // A start brings a guest back running, or paused if it was paused.
        Assert.Equal(new RunGuestRecord(guest.Uri, guest.Uuid, "web", state == "paused" ? "paused" : "running", order, true, null, null), entry.Guest);
    }

    [Theory]
    [InlineData("<policy stop=\"acpi 1m\"/>")]
    [InlineData("<restore run=\"x\" at=\"2026-12-01T18:30:00.000Z\" state=\"running\" order=\"0\"/>")]
    [InlineData("<restore run=\"1\" state=\"running\" order=\"0\"/>")]
    [InlineData("not xml <")]
    public void An_element_that_is_not_a_whole_mark_is_no_entry(string xml)
    {
        Assert.Null(RestoreMarks.Parse(Guest("web"), xml));
    }

    [Fact(Timeout = 30_000)]
    public async Task Writes_go_a_few_at_a_time_and_those_left_at_the_deadline_are_reported_not_waited_for()
    {
        var time = new FakeTimeProvider();
        var world = new SimulatedHost(TimeProvider.System);
        using var held = new ManualResetEventSlim();
        int running = 0, most = 0;
        var host = new MetadataConnection(new SimulatedConnection(world), new ConcurrentDictionary<(string, string), string>())
        {
            BeforeWrite = () =>
            {
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                held.Wait();
                Interlocked.Decrement(ref running);
            },
        };
        var guests = Enumerable.Range(0, 6).Select(i => new RunGuestRecord(world.Uri, $"uuid-{i}", $"g{i}", "running", 0, true, null, null)).ToList();

        var writing = RestoreMarks.WriteAsync(new Dictionary<string, IGuestHost> { [world.Uri] = host }, guests, 1, s_at, TimeSpan.FromSeconds(5), time);
        while (Volatile.Read(ref running) < 4)
        {
            await Task.Delay(10);
        }

        time.Advance(TimeSpan.FromSeconds(5));
        var failed = await writing;
        held.Set();

        Assert.Equal(4, most);
        Assert.Equal(6, failed.Count);
        Assert.Equal(4, failed.Count(f => f.Message == "no answer in 5s"));
        Assert.Equal(2, failed.Count(f => f.Message == "not reached in 5s"));
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref location)) < value && Interlocked.CompareExchange(ref location, value, seen) != seen)
        {
        }
    }

    private static Guest Guest(string name) =>
        new("sim:///host", name, $"uuid-{name}", GuestState.Shutoff, 0, true, false, false, 1024, 1, null, true, false, null);
}
