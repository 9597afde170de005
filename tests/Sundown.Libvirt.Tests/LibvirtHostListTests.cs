using Sundown.Core.Model;

namespace Sundown.Libvirt.Tests;

/// <summary>Listing through the real binding, on libvirt's in-process test driver.</summary>
public sealed class LibvirtHostListTests
{
    [Fact(Timeout = 30_000)]
    public async Task ListGuests_reads_the_default_test_host() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open("test:///default", readOnly: true);

        var guests = host.ListGuests();

        var guest = Assert.Single(guests);
        Assert.Equal("test:///default", guest.Uri);
        Assert.Equal("test", guest.Name);
        Assert.Equal("6695eb01-f6a4-8304-79aa-97f2502e193f", guest.Uuid);
        Assert.Equal(GuestState.Running, guest.State);
        Assert.True(guest.Persistent);
        Assert.Equal(8UL * 1024 * 1024, guest.MemoryKiB);
        Assert.Equal(2, guest.Vcpus);
    });

    [Fact(Timeout = 60_000)]
    public async Task ListGuests_reads_every_guest_of_a_1000_guest_host_exactly() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(1000);
        using var host = LibvirtHost.Open(file.Uri, readOnly: true);

        var guests = host.ListGuests();

        var expected = file.Guests.OrderBy(spec => spec.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(spec => spec.Name), guests.Select(guest => guest.Name));
        Assert.All(expected.Zip(guests), pair =>
        {
            var (spec, guest) = pair;
            Assert.Equal(spec.State, guest.State);
            Assert.Equal(!spec.Transient, guest.Persistent);
            Assert.Equal(spec.ManagedSave, guest.ManagedSave);
            Assert.Equal(spec.MemoryKiB, guest.MemoryKiB);
            Assert.Equal(spec.Vcpus, guest.Vcpus);
            Assert.Equal(spec.Os, guest.Os);
            Assert.Equal(file.Uri, guest.Uri);
            Assert.True(Guid.TryParse(guest.Uuid, out _), guest.Uuid);
        });
        Assert.Equal(1000, guests.Select(guest => guest.Uuid).Distinct().Count());
    });

    [Fact(Timeout = 30_000)]
    public async Task Hostile_names_come_back_exactly_and_nothing_is_run_by_a_shell() => await Task.Run(() =>
    {
        // libvirt refuses '/' in names, so the would-be command writes to the working directory.
        File.Delete("sundown-pwned");
        using var file = TestHostFile.Create(TestHostFile.HostileNames.Length);
        using var host = LibvirtHost.Open(file.Uri);

        var names = host.ListGuests().Select(guest => guest.Name);

        Assert.Equal(TestHostFile.HostileNames.Order(StringComparer.Ordinal), names);
        Assert.False(File.Exists("sundown-pwned"));
    });

    [Fact(Timeout = 30_000)]
    public async Task Open_of_an_unknown_driver_fails_with_the_uri_in_the_message() => await Task.Run(() =>
    {
        var error = Assert.Throws<LibvirtException>(() => LibvirtHost.Open("nosuchdriver:///system"));

        Assert.Equal(LibvirtErrorCode.NoConnect, error.Code);
        Assert.Contains("nosuchdriver:///system", error.Message, StringComparison.Ordinal);
    });
}
