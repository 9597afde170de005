using System.Text.Json;
using Sundown.Core.Model;
using Sundown.Libvirt;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

/// <summary>
/// <c>sundown doctor</c> through the command line: guests on libvirt's test driver, and the
/// machine's files in a test directory given with --root.
/// </summary>
public sealed class DoctorCommandTests : IDisposable
{
    /// <summary>A machine with nothing wrong (see <see cref="DoctorMachine"/>); each test adds its problem.</summary>
    private readonly DoctorMachine _machine = new();

    public void Dispose() => _machine.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task Doctor_on_a_clean_host_finds_nothing_and_exits_0() => await Task.Run(() =>
    {
        using var host = CleanGuests();

        var result = _machine.Doctor(host.Uri);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal("Nothing wrong.", result.Output.Trim());
        Assert.Equal("", result.Error);
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_finds_libvirt_guests_enabled_beside_sundown_and_exits_2() => await Task.Run(() =>
    {
        using var host = CleanGuests();
        _machine.Link("etc/systemd/system/multi-user.target.wants/libvirt-guests.service", "/lib/systemd/system/libvirt-guests.service");
        _machine.Write("etc/default/libvirt-guests", "ON_SHUTDOWN=shutdown\nON_BOOT=ignore\n");

        var result = _machine.Doctor(host.Uri);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("Errors (1):\n  [libvirt-guests-active] this machine\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("    fix: systemctl disable libvirt-guests.service", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("1 error, 0 warnings, 0 notes.\n", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_finds_libvirts_own_auto_shutdown_and_the_keys_it_ignores() => await Task.Run(() =>
    {
        using var host = CleanGuests();
        _machine.Write("etc/libvirt/qemu.conf", "auto_shutdown_try_shutdown = \"all\"\n# from a guide:\nshutdown_timeout = 300\n");

        var result = _machine.Doctor(host.Uri, "--json");

        using var json = JsonDocument.Parse(result.Output);
        var findings = Findings(json).Select(f => (f.GetProperty("severity").GetString(), f.GetProperty("code").GetString())).ToList();
        // libvirt 11.2+ acts on auto_shutdown_* (double handling: an error); older ones ignore it.
        if (LibvirtHost.LibraryVersion >= 11_002_000)
        {
            Assert.Equal(2, result.ExitCode);
            Assert.Equal([("error", "libvirt-auto-shutdown-active"), ("warning", "qemu-conf-ignored-key")], findings);
        }
        else
        {
            Assert.Equal(1, result.ExitCode);
            Assert.Equal([("warning", "qemu-conf-ignored-key"), ("warning", "qemu-conf-ignored-key")], findings);
            Assert.Contains("arrived in libvirt 11.2", Findings(json)[0].GetProperty("problem").GetString() + Findings(json)[1].GetProperty("problem").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains(Findings(json), f => f.GetProperty("problem").GetString()!.Contains("libvirt ignores this key", StringComparison.Ordinal));
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_warns_about_guests_without_acpi_or_agent_and_exits_1() => await Task.Run(() =>
    {
        using var host = TestHostFile.Write(
        [
            new("deaf linux", GuestState.Running, false, false, 512 * 1024, 1, "http://debian.org/debian/12", Acpi: false),
            new("windows", GuestState.Running, false, false, 2048 * 1024, 2, "http://microsoft.com/win/11", Acpi: true, AgentChannel: false),
            new("fine", GuestState.Running, false, false, 512 * 1024, 1, null, Acpi: true),
        ]);

        var result = _machine.Doctor(host.Uri, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(
            [("no-acpi", "deaf linux"), ("windows-without-agent", "windows")],
            Findings(json).Select(f => (f.GetProperty("code").GetString(), f.GetProperty("subject").GetString())));
        Assert.All(Findings(json), f => Assert.Equal(host.Uri, f.GetProperty("uri").GetString()));
        Assert.Equal((0, 2), (json.RootElement.GetProperty("errors").GetInt32(), json.RootElement.GetProperty("warnings").GetInt32()));
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_json_follows_the_contract() => await Task.Run(() =>
    {
        using var host = TestHostFile.Write([new("scratch", GuestState.Running, true, false, 512 * 1024, 1, null, Acpi: true)]);
        File.Delete(Path.Combine(_machine.Root, "etc/systemd/system/multi-user.target.wants/sundown.service"));

        var result = _machine.Doctor(host.Uri, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(["findings", "errors", "warnings"], json.RootElement.EnumerateObject().Select(p => p.Name));
        var findings = Findings(json);
        Assert.All(findings, f => Assert.Equal(["severity", "code", "subject", "uri", "uuid", "problem", "fix"], f.EnumerateObject().Select(p => p.Name)));
        var machine = findings[0];
        Assert.Equal(("warning", "sundown-unit-not-enabled", "host"), (machine.GetProperty("severity").GetString(), machine.GetProperty("code").GetString(), machine.GetProperty("subject").GetString()));
        Assert.Equal(JsonValueKind.Null, machine.GetProperty("uri").ValueKind);
        Assert.Equal(JsonValueKind.Null, machine.GetProperty("uuid").ValueKind);
        var guest = findings[1];
        Assert.Equal(("info", "transient-guest", "scratch"), (guest.GetProperty("severity").GetString(), guest.GetProperty("code").GetString(), guest.GetProperty("subject").GetString()));
        Assert.Equal(36, guest.GetProperty("uuid").GetString()!.Length);
        Assert.Equal((0, 1), (json.RootElement.GetProperty("errors").GetInt32(), json.RootElement.GetProperty("warnings").GetInt32()));
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_notes_a_transient_guest_and_still_exits_0() => await Task.Run(() =>
    {
        using var host = TestHostFile.Write([new("scratch", GuestState.Running, true, false, 512 * 1024, 1, null, Acpi: true)]);

        var result = _machine.Doctor(host.Uri);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.StartsWith("Notes (1):\n  [transient-guest] guest scratch (", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("Nothing wrong (1 note).\n", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_on_the_packages_unit_beside_an_enabled_libvirt_guests_only_notes_it_and_exits_0() => await Task.Run(() =>
    {
        // The units as the package ships them (in /usr/lib/systemd/system, static: TimeoutStopSec=120
        // under a 5 m budget, which the stop extends itself), with this binary in place of /usr/bin/sundown.
        using var host = CleanGuests();
        File.Delete(Path.Combine(_machine.Root, "etc/systemd/system/sundown.service"));
        string unit = Sundown.Cli.Systemd.UnitFile.Package.Render().Replace($"{Sundown.Cli.Systemd.UnitFile.PackageBinary} ", $"{Environment.ProcessPath} ", StringComparison.Ordinal);
        _machine.Write("usr/lib/systemd/system/sundown.service", unit);
        _machine.Link("etc/systemd/system/multi-user.target.wants/libvirt-guests.service", "/lib/systemd/system/libvirt-guests.service");
        _machine.Write("etc/default/libvirt-guests", "ON_SHUTDOWN=shutdown\nON_BOOT=start\n");

        var quiet = _machine.Doctor(host.Uri);
        _machine.Write("var/lib/libvirt/libvirt-guests", "qemu:///system 1b4e28ba-2fa1-11d2-883f-0016d3cca427 6fa459ea-ee8a-3ca4-894e-db77e160355e\n");
        var leftList = _machine.Doctor(host.Uri);

        Assert.True(quiet.ExitCode == 0, quiet.Output + quiet.Error);
        Assert.StartsWith("Notes (1):\n  [libvirt-guests-active] this machine\n", quiet.Output, StringComparison.Ordinal);
        Assert.Contains("finds no guest running", quiet.Output, StringComparison.Ordinal);
        Assert.EndsWith("Nothing wrong (1 note).\n", quiet.Output, StringComparison.Ordinal);
        Assert.Equal(1, leftList.ExitCode);
        Assert.Contains("still names 2 guest(s) from a shutdown it handled before Sundown", leftList.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_finds_a_stale_unit_whose_timeout_is_below_the_budget_and_exits_2() => await Task.Run(() =>
    {
        using var host = CleanGuests();
        _machine.WriteUnit("/opt/sundown-0.1/sundown", "TimeoutStopSec=2min");

        var result = _machine.Doctor(host.Uri, "--json");

        Assert.Equal(2, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(["sundown-unit-stale", "sundown-unit-timeout"], Findings(json).Select(f => f.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(2, json.RootElement.GetProperty("errors").GetInt32());
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_warns_when_there_is_no_unit_at_all() => await Task.Run(() =>
    {
        using var host = CleanGuests();
        Directory.Delete(Path.Combine(_machine.Root, "etc/systemd"), recursive: true);

        var result = _machine.Doctor(host.Uri);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[sundown-unit-missing] this machine", result.Output, StringComparison.Ordinal);
        Assert.Contains("fix: apt install ./sundown_*.deb (the package ships and enables it), or from a source build: sundown install --enable", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 30_000)]
    public async Task Doctor_reports_an_unreachable_host_and_a_bad_config_and_checks_the_rest() => await Task.Run(() =>
    {
        using var host = TestHostFile.Write([new("deaf", GuestState.Running, false, false, 512 * 1024, 1, null, Acpi: false)]);
        _machine.WriteConfig("budget = \"soon\"\n");

        var result = _machine.Doctor(host.Uri, "-c", "nosuchdriver:///x", "--json");

        Assert.Equal(2, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(
            [("config-invalid", null), ("host-unreachable", "nosuchdriver:///x"), ("sundown-unit-no-budget", null), ("no-acpi", host.Uri)],
            Findings(json).Select(f => (f.GetProperty("code").GetString(), f.GetProperty("uri").GetString())));
    });

    private static List<JsonElement> Findings(JsonDocument json) => [.. json.RootElement.GetProperty("findings").EnumerateArray()];

    /// <summary>Guests with nothing to find: ACPI, and the Windows one with its agent channel.</summary>
    [Fact(Timeout = 30_000)]
    public async Task Doctor_notes_that_guest_metadata_is_ignored_when_the_config_says_so() => await Task.Run(() =>
    {
        using var host = CleanGuests();
        _machine.WriteConfig("budget = \"5m\"\ntrust_guest_metadata = false\n");

        var result = _machine.Doctor(host.Uri);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal(
            ["Nothing wrong.", "Note: trust_guest_metadata = false: every guest's <sundown:policy> metadata is ignored; the config alone decides."],
            result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    });

    private static TestHostFile CleanGuests() => TestHostFile.Write(
    [
        new("web", GuestState.Running, false, false, 512 * 1024, 1, "http://debian.org/debian/12", Acpi: true),
        new("it's \"windows\"", GuestState.Running, false, false, 2048 * 1024, 2, "http://microsoft.com/win/11", Acpi: true, AgentChannel: true),
        new("cold", GuestState.Shutoff, false, false, 512 * 1024, 1, null, Acpi: true),
    ]);
}
