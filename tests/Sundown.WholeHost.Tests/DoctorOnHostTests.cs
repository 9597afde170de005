using System.Text.Json;
using static Sundown.WholeHost.Tests.HostShutdownTests;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// <c>sundown doctor</c> on a real Debian 13 host (libvirt 11.3, systemd 257) set up with every
/// problem of libvirt 11 beside Sundown at once, then again once each is fixed as its finding says.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class DoctorOnHostTests
{
    private const string Once = "once";

    /// <summary>libvirt 11's own auto-shutdown as the issue tried it: a 10 s wait, beyond logind's 5 s.</summary>
    private const string AutoShutdown = """

        # libvirt's own auto-shutdown, beside Sundown
        auto_shutdown_try_shutdown = "all"
        auto_shutdown_poweroff = "all"
        auto_shutdown_wait = 10
        """;

    private const string AutoShutdownOff = """

        auto_shutdown_try_shutdown = "none"
        auto_shutdown_poweroff = "none"
        auto_shutdown_wait = 10
        """;

    [Fact(Timeout = 600_000)]
    public async Task Doctor_finds_each_libvirt_11_problem_on_a_debian_13_host_and_none_once_they_are_fixed()
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        string qemuConf = host.InRoot("/etc/libvirt/qemu.conf");
        string shipped = await File.ReadAllTextAsync(qemuConf);
        await File.WriteAllTextAsync(qemuConf, shipped + AutoShutdown);
        // As the README installs it, libvirt-guests left enabled as Debian 13 ships it.
        await host.InstallPackageAsync();
        host.WriteFile("/etc/sundown/sundown.toml", "budget = \"60s\"\n");
        await host.BootAsync();
        var guests = await host.UpAsync($"{Once}\tdelay=1");
        await host.CheckedRunAsync("virsh", "autostart", "--once", Once);

        var before = await DoctorAsync(host);

        Assert.Contains(("libvirt-guests-active", "host"), before.Select(f => (f.Code, f.Subject)));
        Assert.Contains("Debian GNU/Linux 13 (trixie) enables it by default", before.Single(f => f.Code == "libvirt-guests-active").Problem, StringComparison.Ordinal);
        Assert.Equal(2, before.Count(f => f is { Code: "libvirt-auto-shutdown-active", Subject: "host", Severity: "error" }));
        var cutShort = Assert.Single(before, f => f.Code == "libvirt-auto-shutdown-cut-short");
        Assert.Equal("host", cutShort.Subject);
        Assert.Contains("auto_shutdown_wait = 10s", cutShort.Problem, StringComparison.Ordinal);
        Assert.Contains("InhibitDelayMaxSec = 5s (logind's default)", cutShort.Problem, StringComparison.Ordinal);
        var once = Assert.Single(before, f => f.Code == "autostart-once-and-restore");
        Assert.Equal((Once, guests[Once].Uuid), (once.Subject, once.Uuid));
        Assert.Contains($"virsh autostart --once --disable {Once}", once.Fix, StringComparison.Ordinal);

        // Each fix as its finding says it: the keys "none" and the daemon restarted, libvirt-guests
        // disabled (not stopped), the guest's mark taken off.
        await File.WriteAllTextAsync(qemuConf, shipped + AutoShutdownOff);
        await host.CheckedRunAsync("systemctl", "restart", "libvirtd.service");
        await host.CheckedRunAsync("systemctl", "disable", "libvirt-guests.service");
        await host.CheckedRunAsync("virsh", "autostart", "--once", "--disable", Once);
        var after = await DoctorAsync(host);

        string[] fixedCodes = ["libvirt-guests-active", "libvirt-auto-shutdown-active", "libvirt-auto-shutdown-cut-short", "autostart-once-and-restore"];
        Assert.DoesNotContain(after, f => fixedCodes.Contains(f.Code));
        Assert.Equal("running", (await host.CheckedRunAsync("virsh", "domstate", Once)).Trim());
    }

    private sealed record DoctorFinding(string Severity, string Code, string Subject, string? Uuid, string Problem, string Fix);

    /// <summary><c>sundown doctor --json</c> inside the host: its findings, by the JSON contract of docs/doctor.md.</summary>
    private static async Task<List<DoctorFinding>> DoctorAsync(WholeHost host)
    {
        var result = await host.RunAsync(["sundown", "doctor", "--json"]);
        Assert.True(result.ExitCode is 0 or 1 or 2, $"sundown doctor: exit {result.ExitCode}\n{result.Output}\n{result.Error}");
        using var json = JsonDocument.Parse(result.Output);
        return
        [
            .. json.RootElement.GetProperty("findings").EnumerateArray().Select(f => new DoctorFinding(
                f.GetProperty("severity").GetString()!,
                f.GetProperty("code").GetString()!,
                f.GetProperty("subject").GetString()!,
                f.GetProperty("uuid").GetString(),
                f.GetProperty("problem").GetString()!,
                f.GetProperty("fix").GetString()!)),
        ];
    }
}
