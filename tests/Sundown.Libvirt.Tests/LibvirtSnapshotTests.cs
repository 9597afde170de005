using Sundown.Core.Hosts;

namespace Sundown.Libvirt.Tests;

/// <summary>
/// The snapshot binding on libvirt's test driver, which lists and deletes snapshots but refuses
/// DISK_ONLY (code 8): the flags reach libvirt, errors come back with their codes, disks are
/// read from the definition. Real disk-only snapshots are tested on the fleet
/// (tests/Sundown.Integration.Tests/SnapshotsOnFleetTests.cs).
/// </summary>
public sealed class LibvirtSnapshotTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sundown-snapbind-{Guid.NewGuid():N}.xml");

    public LibvirtSnapshotTests() => File.WriteAllText(_path, """
        <node>
          <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
            <name>disky</name><memory unit="KiB">131072</memory><os><type>hvm</type></os>
            <devices><disk type="file" device="disk"><source file="/nowhere/disky.qcow2"/><target dev="vda" bus="virtio"/></disk></devices>
            <test:runstate>1</test:runstate>
          </domain>
          <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
            <name>diskless</name><memory unit="KiB">131072</memory><os><type>hvm</type></os>
            <test:runstate>1</test:runstate>
          </domain>
        </node>
        """);

    public void Dispose() => File.Delete(_path);

    [Fact(Timeout = 30_000)]
    public async Task A_disk_only_snapshot_reaches_libvirt_with_its_flags_and_the_test_driver_refuses_it() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open($"test://{_path}");
        string disky = host.ListGuests().Single(g => g.Name == "disky").Uuid;

        var disk = Assert.Single(host.ListDisks(disky));
        Assert.Equal(("vda", "/nowhere/disky.qcow2", true), (disk.Target, disk.File, disk.Snapshottable));
        var refused = Assert.Throws<LibvirtException>(() => host.CreateDiskSnapshot(disky, "sundown-x", "sundown-snapshot/1 test", quiesce: false));
        Assert.Equal(LibvirtErrorCode.InvalidArg, refused.Code);
        Assert.Contains("disky", refused.Message, StringComparison.Ordinal);
        Assert.Empty(host.ListSnapshots(disky));
    });

    [Fact(Timeout = 30_000)]
    public async Task A_guest_without_a_disk_has_nothing_to_snapshot_and_a_missing_snapshot_cannot_be_deleted() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open($"test://{_path}");
        string diskless = host.ListGuests().Single(g => g.Name == "diskless").Uuid;

        Assert.Equal(SnapshotMade.NoDisk, host.CreateDiskSnapshot(diskless, "sundown-x", "sundown-snapshot/1 test", quiesce: true));
        var missing = Assert.Throws<LibvirtException>(() => host.DeleteSnapshot(diskless, "sundown-none"));
        Assert.Equal(LibvirtErrorCode.NoDomainSnapshot, missing.Code);
    });
    [Fact(Timeout = 30_000)]
    public async Task A_snapshot_deleted_between_the_list_and_its_read_is_no_longer_there_and_not_an_error() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open($"test://{_path}");
        string diskless = host.ListGuests().Single(g => g.Name == "diskless").Uuid;
        using var domain = host.Lookup(diskless);
        // The test driver makes a plain (not disk-only) snapshot; the handle outlives its deletion.
        using var made = Interop.Libvirt.DomainSnapshotCreateXML(domain, "<domainsnapshot><name>gone</name></domainsnapshot>", 0);
        Assert.False(made.IsInvalid);
        Assert.Equal("gone", Assert.Single(host.ListSnapshots(diskless)).Name);
        host.DeleteSnapshot(diskless, "gone");

        // Its read fails with NO_DOMAIN_SNAPSHOT: that code must survive until it is looked at.
        Assert.Null(LibvirtHost.ReadSnapshot(made, "diskless"));
        Assert.Empty(host.ListSnapshots(diskless));
    });
}
