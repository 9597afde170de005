using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Inventory;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;

namespace Sundown.Core.Tests;

/// <summary>The <c>snapshots</c> key: config, metadata, what is Sundown's, the snapshot XML, and the plan's snapshot step.</summary>
public sealed class SnapshotPolicyTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 2, 12, 34, 56, TimeSpan.Zero);

    [Fact]
    public void Snapshots_is_read_from_defaults_and_guest_rules_and_resolves_per_guest()
    {
        var config = ConfigParser.Parse("""
            [defaults]
            snapshots = 2

            [[guest]]
            match = "scratch-*"
            snapshots = 0
            """, "s.toml");

        Assert.Equal(2, config.Defaults.Snapshots);
        Assert.Equal(2, PolicyResolver.Resolve(Guest("db"), config, null).Snapshots);
        Assert.Equal(0, PolicyResolver.Resolve(Guest("scratch-1"), config, null).Snapshots);
        Assert.Equal(5, PolicyResolver.Resolve(Guest("scratch-1"), config, """<policy xmlns="https://sundown.dev/xmlns/policy/1" snapshots="5"/>""").Snapshots);
        Assert.Equal(0, ConfigParser.Parse("", "e.toml").Defaults.Snapshots);
    }

    [Theory]
    [InlineData("snapshots = -1", "snapshots: -1 is not 0 (no snapshots) to 16")]
    [InlineData("snapshots = 17", "snapshots: 17 is not 0 (no snapshots) to 16")]
    [InlineData("snapshots = \"2\"", "snapshots: expected a whole number")]
    [InlineData("snapshots = 2.5", "snapshots: expected a whole number")]
    public void A_bad_snapshots_value_is_refused_with_its_position(string line, string message)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"[defaults]\n{line}\n", "bad.toml"));

        Assert.Contains(message, e.Message);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("17")]
    [InlineData("two")]
    [InlineData(" 2")]
    [InlineData("")]
    public void A_bad_snapshots_attribute_in_metadata_is_refused(string value)
    {
        var e = Assert.Throws<FormatException>(() => PolicyMetadata.Parse($"""<policy xmlns="https://sundown.dev/xmlns/policy/1" snapshots="{value}"/>"""));

        Assert.StartsWith("sundown metadata, snapshots:", e.Message);
    }

    [Fact]
    public void Snapshot_is_no_ladder_step()
    {
        Assert.Null(StepKinds.FromName("snapshot"));
        Assert.Null(StopLadder.TryCreate(["snapshot", "destroy"], out _));
    }

    [Fact]
    public void Only_a_disk_only_snapshot_with_sundowns_name_and_marker_is_sundowns()
    {
        string name = SnapshotRule.NameFor(s_now, 42);
        Assert.Equal("sundown-20261202T123456Z-r42", name);
        Assert.Equal("sundown-20261202T123456Z", SnapshotRule.NameFor(s_now, null));
        Assert.DoesNotContain('.', name);

        Assert.True(SnapshotRule.IsSundowns(new SnapshotInfo(name, s_now, SnapshotRule.DescriptionFor(42, true), true)));
        Assert.False(SnapshotRule.IsSundowns(new SnapshotInfo(name, s_now, "sundown run 42", true)));
        Assert.False(SnapshotRule.IsSundowns(new SnapshotInfo(name, s_now, null, true)));
        Assert.False(SnapshotRule.IsSundowns(new SnapshotInfo("nightly", s_now, SnapshotRule.DescriptionFor(42, true), true)));
        Assert.False(SnapshotRule.IsSundowns(new SnapshotInfo(name, s_now, SnapshotRule.DescriptionFor(42, true), DiskOnly: false)));
        Assert.False(SnapshotRule.IsSundowns(new SnapshotInfo(name, s_now, SnapshotRule.Marker + "x", true)));
    }

    [Fact]
    public void Pruning_keeps_the_newest_n_of_sundowns_and_lists_the_older_oldest_first()
    {
        SnapshotInfo Ours(int day) => new(SnapshotRule.NameFor(s_now.AddDays(day), day), s_now.AddDays(day), SnapshotRule.DescriptionFor(day, false), true);
        var operators = new SnapshotInfo("sundown-mine", s_now.AddDays(-100), "before the upgrade", true);
        var all = new[] { Ours(3), operators, Ours(1), Ours(4), Ours(2) };

        Assert.Equal([Ours(1).Name, Ours(2).Name], SnapshotRule.ToPrune(all, 2).Select(s => s.Name));
        Assert.Equal([Ours(1).Name, Ours(2).Name, Ours(3).Name, Ours(4).Name], SnapshotRule.ToPrune(all, 0).Select(s => s.Name));
        Assert.Empty(SnapshotRule.ToPrune(all, 4));
        Assert.DoesNotContain(operators, SnapshotRule.ToPrune(all, 0));
    }

    [Fact]
    public void The_snapshot_xml_puts_an_overlay_on_writable_file_disks_only()
    {
        var disks = SnapshotXml.Disks("""
            <domain type='qemu'><name>g</name><devices>
              <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/v/a.qcow2'/>
                <backingStore type='file'><format type='qcow2'/><source file='/v/base.qcow2'/><backingStore/></backingStore>
                <target dev='vda' bus='virtio'/></disk>
              <disk type='file' device='disk'><source file='/v/ro.img'/><target dev='vdb'/><readonly/></disk>
              <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdc'/></disk>
              <disk type='file' device='cdrom'><source file='/v/x.iso'/><target dev='hdc'/></disk>
            </devices></domain>
            """);

        Assert.Equal(["vda", "vdb", "vdc"], disks.Select(d => d.Target));
        Assert.Equal([true, false, false], disks.Select(d => d.Snapshottable));
        Assert.Equal(2, disks[0].ChainLength);
        Assert.Equal("/v/a.qcow2", disks[0].File);
        string xml = SnapshotXml.CreateXml("sundown-x", "sundown-snapshot/1 <&>", disks);
        Assert.Equal("<domainsnapshot><name>sundown-x</name><description>sundown-snapshot/1 &lt;&amp;&gt;</description><disks><disk name='vda' snapshot='external'/><disk name='vdb' snapshot='no'/><disk name='vdc' snapshot='no'/></disks></domainsnapshot>", xml);
    }

    [Fact]
    public void A_snapshots_xml_reads_back_as_its_name_time_description_and_kind()
    {
        var info = SnapshotXml.Parse("""
            <domainsnapshot><name>sundown-20261202T123456Z-r1</name><description>sundown-snapshot/1 made by Sundown</description>
            <state>disk-snapshot</state><creationTime>1796214896</creationTime><memory snapshot='no'/></domainsnapshot>
            """);

        Assert.Equal(new SnapshotInfo("sundown-20261202T123456Z-r1", DateTimeOffset.FromUnixTimeSeconds(1796214896), "sundown-snapshot/1 made by Sundown", true), info);
        Assert.False(SnapshotXml.Parse("<domainsnapshot><name>s</name><state>running</state></domainsnapshot>").DiskOnly);
        Assert.Throws<FormatException>(() => SnapshotXml.Parse("<domain/>"));
    }

    [Fact]
    public void Without_history_a_snapshot_is_given_three_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), Estimates.Default.Snapshot);
        Assert.Equal(TimeSpan.FromSeconds(3), new Estimates(1e6).Snapshot);
    }

    [Fact]
    public void The_plan_puts_the_snapshot_first_for_running_and_paused_guests_only_and_counts_its_time()
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 30s", "destroy"), Snapshots = 2 };
        var estimates = Estimates.Default with { Snapshot = TimeSpan.FromSeconds(4) };
        var plan = Planner.Build(
            [(Guest("run"), policy), (Guest("paused", GuestState.Paused), policy), (Guest("off", GuestState.Shutoff), policy), (Guest("none"), policy with { Snapshots = 0 })],
            null, Limits.Default, estimates);

        var byName = plan.Guests.ToDictionary(g => g.Guest.Name);
        Assert.Equal([StepKind.Snapshot, StepKind.Acpi, StepKind.Destroy], byName["run"].Steps.Select(s => s.Kind));
        Assert.Equal([StepKind.Snapshot, StepKind.Resume, StepKind.Acpi, StepKind.Destroy], byName["paused"].Steps.Select(s => s.Kind));
        Assert.Equal([StepKind.Acpi, StepKind.Destroy], byName["none"].Steps.Select(s => s.Kind));
        Assert.DoesNotContain(plan.Guests, g => g.Guest.Name == "off");
        Assert.Equal(TimeSpan.FromSeconds(4), byName["run"].Steps[0].Duration);
        Assert.Equal(TimeSpan.FromSeconds(4), byName["run"].Steps[1].WorstCaseStart);
        Assert.Equal(TimeSpan.FromSeconds(34), byName["run"].WorstCaseEnd);
    }

    [Fact]
    public void With_a_budget_the_snapshot_takes_its_time_from_the_graceful_room_and_is_dropped_first_when_short()
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 30s", "destroy"), Snapshots = 1 };
        var estimates = Estimates.Default with { Snapshot = TimeSpan.FromSeconds(4) };

        // 35 s: 4 + 30 + 1 fits whole.
        var roomy = Planner.Build([(Guest("g"), policy)], TimeSpan.FromSeconds(35), Limits.Default, estimates);
        var tier = roomy.Tiers.Single();
        var schedule = Planner.Schedule(tier.Guests.Single(), tier, TimeSpan.Zero);
        Assert.Equal(new ScheduledStep(StepKind.Snapshot, TimeSpan.FromSeconds(4), TimeSpan.Zero, TimeSpan.FromSeconds(4)), schedule[0]);
        Assert.Equal(TimeSpan.FromSeconds(30), schedule[1].Wait);

        // 20 s: no snapshot; the acpi keeps all the room there is (19 s).
        var tight = Planner.Build([(Guest("g"), policy)], TimeSpan.FromSeconds(20), Limits.Default, estimates);
        var guest = tight.Guests.Single();
        Assert.Equal([StepKind.Acpi, StepKind.Destroy], guest.Steps.Select(s => s.Kind));
        Assert.Contains(guest.Notes, n => n.Contains("no time for its snapshot"));
        Assert.Equal(TimeSpan.FromSeconds(19), guest.Steps[0].Duration);
    }

    [Fact]
    public void A_transient_guest_gets_no_snapshot_and_the_plan_says_why()
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 30s", "destroy"), Snapshots = 2 };
        var plan = Planner.Build([(Guest("transient", persistent: false), policy)], null, Limits.Default, Estimates.Default);

        var guest = plan.Guests.Single();
        Assert.Equal([StepKind.Acpi, StepKind.Destroy], guest.Steps.Select(s => s.Kind));
        Assert.Contains(guest.Notes, n => n.StartsWith("transient: no snapshot", StringComparison.Ordinal));
    }

    private static Guest Guest(string name, GuestState state = GuestState.Running, bool persistent = true) =>
        new("qemu:///system", name, Guid.NewGuid().ToString(), state, 1, persistent, false, false, 1024, 1, null, true, false, null);
}
