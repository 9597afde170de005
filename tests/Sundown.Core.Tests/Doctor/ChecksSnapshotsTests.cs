using Sundown.Core.Doctor;
using Sundown.Core.Hosts;
using Sundown.Core.Inventory;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using static Sundown.Core.Tests.Doctor.DoctorFixture;

namespace Sundown.Core.Tests.Doctor;

/// <summary>doctor's long-chain checks: Sundown's snapshots left behind, beyond N, and chains longer than N + 2.</summary>
public sealed class ChecksSnapshotsTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Snapshots_within_n_and_a_chain_of_n_plus_two_are_fine()
    {
        var guest = Guest("db");
        var facts = Clean with { Snapshots = [Read(guest, [Ours(1), Ours(2), Operators()], chain: 4)] };

        Assert.Empty(Checks.Run(facts, [Keeping(guest, 2)], TestConfig));
    }

    [Fact]
    public void Sundowns_snapshots_while_snapshots_is_zero_are_a_warning_with_the_deletes_to_paste()
    {
        var guest = Guest("it's db");
        var facts = Clean with { Snapshots = [Read(guest, [Ours(1), Ours(2), Operators()], chain: 2)] };

        var finding = Assert.Single(Checks.Run(facts, [Keeping(guest, 0)], TestConfig));

        Assert.Equal((Severity.Warning, FindingCodes.SnapshotsLeftBehind), (finding.Severity, finding.Code));
        Assert.Contains("2 snapshots that Sundown made", finding.Problem, StringComparison.Ordinal);
        Assert.Contains($"virsh snapshot-delete 'it'\\''s db' {Ours(1).Name}; virsh snapshot-delete 'it'\\''s db' {Ours(2).Name}", finding.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain("operator", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void More_of_sundowns_snapshots_than_n_names_the_oldest_to_delete()
    {
        var guest = Guest("web");
        var facts = Clean with { Snapshots = [Read(guest, [Ours(3), Ours(1), Ours(2)], chain: 4)] };

        var finding = Assert.Single(Checks.Run(facts, [Keeping(guest, 2)], TestConfig));

        Assert.Equal(FindingCodes.SnapshotsBeyondKept, finding.Code);
        Assert.Contains($"snapshot-delete web {Ours(1).Name}", finding.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain(Ours(2).Name, finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_longer_than_n_plus_two_is_a_warning_with_its_fix()
    {
        var guest = Guest("web");
        var facts = Clean with { Snapshots = [Read(guest, [], chain: 5)] };

        var finding = Assert.Single(Checks.Run(facts, [Keeping(guest, 2)], TestConfig));

        Assert.Equal((Severity.Warning, FindingCodes.SnapshotChainLong), (finding.Severity, finding.Code));
        Assert.Contains("vda (/v/web.qcow2) is 5 images long, more than snapshots + 2 = 4", finding.Problem, StringComparison.Ordinal);
        Assert.Contains("virsh blockcommit web vda --active --pivot", finding.Fix, StringComparison.Ordinal);
    }

    private static (Guest, GuestPolicy) Keeping(Guest guest, int n) => (guest, Entry(guest).Policy with { Snapshots = n });

    private static SnapshotInfo Ours(int day) =>
        new(SnapshotRule.NameFor(s_at.AddDays(day), day), s_at.AddDays(day), SnapshotRule.DescriptionFor(day, false), true);

    private static SnapshotInfo Operators() => new("before-upgrade", s_at, "operator", true);

    private static GuestSnapshots Read(Guest guest, SnapshotInfo[] snapshots, int chain) =>
        new(guest.Uri, guest.Uuid, [.. snapshots], [new SnapshotXml.Disk("vda", $"/v/{guest.Name}.qcow2", "qcow2", true, false, chain)]);
}
