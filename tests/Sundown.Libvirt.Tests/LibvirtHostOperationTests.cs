using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Libvirt.Tests;

/// <summary>Every guest operation of the binding, on a private test-driver host per test.</summary>
public sealed class LibvirtHostOperationTests : IDisposable
{
    private readonly TestHostFile _file = TestHostFile.Write(
    [
        new("web", GuestState.Running, Transient: false, ManagedSave: false, 262144, 1, null),
        new("db", GuestState.Running, Transient: false, ManagedSave: false, 524288, 2, null),
        new("scratch", GuestState.Running, Transient: true, ManagedSave: false, 131072, 1, null),
        new("cold", GuestState.Shutoff, Transient: false, ManagedSave: false, 131072, 1, null),
    ]);

    public void Dispose() => _file.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task Shutdown_destroy_suspend_and_resume_change_state_with_libvirts_reasons() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);
        string web = UuidOf(host, "web");
        string db = UuidOf(host, "db");

        host.Suspend(web);
        Assert.Equal(new GuestStatus(GuestState.Paused, 1), host.GetStatus(web));
        host.Resume(web);
        Assert.Equal(new GuestStatus(GuestState.Running, 5), host.GetStatus(web));
        host.Shutdown(web, ShutdownMethod.Default);
        Assert.Equal(new GuestStatus(GuestState.Shutoff, 1), host.GetStatus(web));
        host.Destroy(db);
        Assert.Equal(new GuestStatus(GuestState.Shutoff, 2), host.GetStatus(db));
    });

    [Fact(Timeout = 30_000)]
    public async Task ManagedSave_leaves_an_image_that_start_consumes() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);
        string db = UuidOf(host, "db");

        host.ManagedSave(db);
        var saved = host.ListGuests().Single(guest => guest.Uuid == db);
        host.Start(db);

        Assert.Equal((GuestState.Shutoff, 5, true), (saved.State, saved.StateReason, saved.ManagedSave));
        Assert.Equal(GuestState.Running, host.GetStatus(db).State);
        Assert.False(host.ListGuests().Single(guest => guest.Uuid == db).ManagedSave);
    });

    [Fact(Timeout = 30_000)]
    public async Task Metadata_round_trips_and_a_missing_element_reads_as_null() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);
        string web = UuidOf(host, "web");
        const string ns = "https://sundown.example/policy/1";

        Assert.Null(host.GetMetadata(web, ns));
        host.SetMetadata(web, ns, "sundown", "<policy order=\"10\"/>");
        Assert.Equal("<policy order=\"10\"/>", host.GetMetadata(web, ns));
        host.SetMetadata(web, ns, "sundown", null);
        Assert.Null(host.GetMetadata(web, ns));
    });

    [Fact(Timeout = 30_000)]
    public async Task A_guests_policy_metadata_comes_with_it_in_the_listing() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);
        string web = UuidOf(host, "web");

        host.SetMetadata(web, Sundown.Core.Policy.PolicyMetadata.Namespace, "sundown", "<policy order=\"10\"/>");
        var listed = host.ListGuests().Single(guest => guest.Uuid == web);

        Assert.Equal(10, Sundown.Core.Policy.PolicyMetadata.Parse(listed.PolicyMetadata!).Order);
        Assert.Null(host.ListGuests().Single(guest => guest.Name == "db").PolicyMetadata);
    });

    [Fact(Timeout = 30_000)]
    public async Task Errors_carry_libvirts_code_and_the_kind_the_engine_acts_on() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);

        var missing = Assert.Throws<LibvirtException>(() => host.Destroy("00000000-0000-0000-0000-000000000001"));
        var inactive = Assert.Throws<LibvirtException>(() => host.Destroy(UuidOf(host, "cold")));
        var transient = Assert.Throws<LibvirtException>(() => host.ManagedSave(UuidOf(host, "scratch")));
        var acpi = Assert.Throws<LibvirtException>(() => host.Shutdown(UuidOf(host, "web"), ShutdownMethod.Acpi));

        Assert.Equal((LibvirtErrorCode.NoDomain, HostErrorKind.GuestNotFound), (missing.Code, missing.Kind));
        Assert.Equal((LibvirtErrorCode.OperationInvalid, HostErrorKind.InvalidState), (inactive.Code, inactive.Kind));
        Assert.Contains("'cold'", inactive.Message, StringComparison.Ordinal);
        Assert.Equal((LibvirtErrorCode.OperationInvalid, HostErrorKind.InvalidState), (transient.Code, transient.Kind));
        // The test driver knows no ACPI button: "unsupported flags".
        Assert.Equal((LibvirtErrorCode.InvalidArg, HostErrorKind.Unsupported), (acpi.Code, acpi.Kind));
    });

    [Fact(Timeout = 30_000)]
    public async Task AbortJob_reaches_libvirt_and_the_test_drivers_no_support_reads_as_unsupported() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri);
        string web = UuidOf(host, "web");

        // The test driver has no jobs: virDomainAbortJob answers VIR_ERR_NO_SUPPORT (3),
        // which the executor takes as "nothing to abort" and goes on to the destroy.
        var error = Assert.Throws<LibvirtException>(() => host.AbortJob(web));
        var missing = Assert.Throws<LibvirtException>(() => host.AbortJob("00000000-0000-0000-0000-000000000001"));

        Assert.Equal((LibvirtErrorCode.NoSupport, HostErrorKind.Unsupported), (error.Code, error.Kind));
        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.GuestNotFound, missing.Kind);
        Assert.Equal(GuestState.Running, host.GetStatus(web).State);
    });

    [Fact(Timeout = 30_000)]
    public async Task A_read_only_connection_may_list_but_not_act() => await Task.Run(() =>
    {
        using var host = LibvirtHost.Open(_file.Uri, readOnly: true);
        string web = UuidOf(host, "web");

        var error = Assert.Throws<LibvirtException>(() => host.Shutdown(web, ShutdownMethod.Default));

        Assert.Equal(HostErrorKind.Denied, error.Kind);
        Assert.Equal(GuestState.Running, host.GetStatus(web).State);
    });

    private static string UuidOf(LibvirtHost host, string name) => host.ListGuests().Single(guest => guest.Name == name).Uuid;
}
