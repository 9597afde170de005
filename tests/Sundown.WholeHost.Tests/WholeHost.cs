using System.Globalization;
using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One whole host, driven through <c>tests/wholehost/host.sh</c>: Debian 12 or 13 (<see cref="HostRelease"/>)
/// with systemd as PID 1, its own libvirtd and QEMU guests, booted in a container. From outside, <see cref="Root"/> is its
/// file system: serial logs, libvirt's QEMU logs, Sundown's journal and the systemd journal.
/// </summary>
internal sealed class WholeHost : IAsyncDisposable
{
    /// <summary>
    /// The test collection of every class that boots a host: one host at a time. Each boots its own
    /// systemd, libvirtd and TCG guests; two at once on a 2-core machine make the guests' boots and
    /// the stops' timings race each other (classes of different collections run in parallel).
    /// </summary>
    internal const string Collection = "whole host";

    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(5);

    private WholeHost(string directory, string release)
    {
        HostDirectory = directory;
        Release = release;
    }

    internal static string Script => Path.Combine(Repository.Root, "tests", "wholehost", "host.sh");

    /// <summary>host.sh's directory for this host: the overlay, the console log.</summary>
    internal string HostDirectory { get; }

    /// <summary>The Debian release it runs (<see cref="HostRelease"/>).</summary>
    internal string Release { get; }

    /// <summary>The host's root file system, seen from outside.</summary>
    internal string Root => Path.Combine(HostDirectory, "root");

    /// <summary>Sundown's state directory inside the host (the unit's default).</summary>
    internal string StateDirectory => InRoot("/var/lib/sundown");

    /// <summary>Checked once per release and test run, not per test: the set-up scripts ask apt and dpkg each time.</summary>
    private static readonly Dictionary<string, Lazy<Task>> s_images = new()
    {
        [HostRelease.Bookworm] = new(() => PrepareAsync(HostRelease.Bookworm)),
        [HostRelease.Trixie] = new(() => PrepareAsync(HostRelease.Trixie)),
    };

    /// <summary>Skips (or, in CI, fails) unless this machine can run a whole host of <paramref name="release"/>.</summary>
    internal static Task RequireAsync(string release = HostRelease.Bookworm) => s_images[release].Value;

    private static async Task PrepareAsync(string release)
    {
        // The guests' kernel and initramfs, copied into the host.
        await FleetScript.RequireSetupAsync();
        var image = await ProcessRunner.RunAsync(Script, ["image", release], timeout: TimeSpan.FromMinutes(10));
        Requires.That(image.ExitCode == 0, $"host.sh image {release} failed: {image.Error}");
    }

    /// <summary>A new host of <paramref name="release"/>, without Sundown, not booted.</summary>
    internal static async Task<WholeHost> CreateAsync(string release = HostRelease.Bookworm)
    {
        // Under /var/tmp, not /tmp: a tmpfs /tmp would hold every guest's writes in memory.
        string directory = Path.Combine("/var/tmp", $"sundown-host-{Guid.NewGuid():N}");
        var host = new WholeHost(directory, release);
        await host.ScriptAsync(["create", release]);
        return host;
    }

    internal string InRoot(string path) => Path.Combine(Root, path.TrimStart('/'));

    /// <summary>Writes a file into the host, owned by root, not writable by others (what sundown demands of its config).</summary>
    internal void WriteFile(string path, string text)
    {
        string full = InRoot(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>
    /// Installs Sundown's package with apt while the host is not booted, as the README says
    /// (<paramref name="deb"/>: this checkout's artifacts/sundown_*_amd64.deb); its postinst enables sundown.service.
    /// </summary>
    internal Task InstallPackageAsync(string? deb = null) => ScriptAsync(deb is null ? ["install"] : ["install", deb]);

    /// <summary>Copies a package into the host; returns its path inside, for an apt install in the booted host.</summary>
    internal async Task<string> CopyIntoAsync(string deb) => (await ScriptAsync(["copy", deb])).Output.Trim();

    /// <summary>Runs a command in the host's root while it is not booted (systemctl enable works offline).</summary>
    internal Task<ProcessRunner.Result> OfflineAsync(params string[] command) => ScriptAsync(["offline", .. command]);

    /// <summary>Boots the host and waits until its systemd is up.</summary>
    /// <param name="network">A rack network's namespace (<see cref="RackNetwork"/>) for the host; null for a network of its own, with no one else on it.</param>
    internal async Task BootAsync(string? network = null) => await ScriptAsync(network is null ? ["boot"] : ["boot", network]);

    /// <summary>Runs a command inside the booted host.</summary>
    internal Task<ProcessRunner.Result> RunAsync(string[] command, string? stdin = null) =>
        ProcessRunner.RunAsync(Script, ["run", HostDirectory, .. command], stdin, s_commandTimeout);

    /// <summary>Like <see cref="RunAsync"/>, failing the test on a non-zero exit.</summary>
    internal async Task<string> CheckedRunAsync(params string[] command)
    {
        var result = await RunAsync(command);
        Assert.True(result.ExitCode == 0, $"`{string.Join(' ', command)}` in the host: exit {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result.Output;
    }

    /// <summary>
    /// Starts guests inside the host from fleet.sh spec lines; returns them by name once they are
    /// up, with their serial logs as seen from outside.
    /// </summary>
    internal async Task<IReadOnlyDictionary<string, FleetScript.UpGuest>> UpAsync(params string[] specLines)
    {
        var up = await RunAsync(["fleet.sh", "up", "-"], FleetScript.Spec(specLines));
        Assert.True(up.ExitCode == 0, $"fleet.sh up in the host failed: {up.Error}");
        return FleetScript.ParseUp(up.Output).ToDictionary(g => g.Name, g => g with { SerialLog = InRoot(g.SerialLog) });
    }

    /// <summary>`systemctl poweroff` inside; returns once the host is off, with the time that took.</summary>
    internal async Task<TimeSpan> PowerOffAsync()
    {
        var result = await ScriptAsync("poweroff");
        return TimeSpan.FromSeconds(double.Parse(result.Output.Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>The PID, seen from outside, of the booted host's systemd (its PID namespace holds the host's every process).</summary>
    internal async Task<string> CheckedPidAsync() => (await ScriptAsync("pid")).Output;

    /// <summary>
    /// The power cut: SIGKILL to the host's PID 1 at once, nothing inside finishes. Returns the
    /// moment of the kill; once it returns the container has exited.
    /// </summary>
    internal async Task<DateTimeOffset> CutAsync()
    {
        var result = await ScriptAsync("cut");
        double epoch = double.Parse(result.Output.Trim(), CultureInfo.InvariantCulture);
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(epoch * 1000));
    }

    /// <summary>When the container exited (its systemd powered it off, or a cut killed it); null while it runs.</summary>
    internal DateTimeOffset? ExitedAt
    {
        get
        {
            string exited = Path.Combine(HostDirectory, "exited");
            return File.Exists(exited) ? new DateTimeOffset(File.GetLastWriteTimeUtc(exited), TimeSpan.Zero) : null;
        }
    }

    /// <summary>When the last boot's journal first has a line holding <paramref name="text"/>, or null.</summary>
    internal async Task<DateTimeOffset?> JournalTimeAsync(string text)
    {
        var journal = await ProcessRunner.RunAsync("journalctl", ["-D", InRoot("/var/log/journal"), "-b", "0", "--no-pager", "-o", "short-unix"]);
        Assert.True(journal.ExitCode == 0, $"journalctl: {journal.Error}");
        foreach (string line in journal.Output.Split('\n'))
        {
            // "1764635521.123456 host upsmon[123]: ...".
            int space = line.IndexOf(' ');
            if (space > 0 && line.Contains(text, StringComparison.Ordinal) &&
                double.TryParse(line[..space], NumberStyles.Float, CultureInfo.InvariantCulture, out double epoch))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(epoch * 1000));
            }
        }

        return null;
    }

    /// <summary>The systemd journal of the host's last boot, one line per entry with microsecond times.</summary>
    /// <param name="priority">Only the entries of this syslog priority or more urgent (journalctl -p), e.g. "err".</param>
    internal async Task<string> LastBootJournalAsync(string? priority = null)
    {
        string[] filter = priority is null ? [] : ["-p", priority];
        var journal = await ProcessRunner.RunAsync("journalctl", ["-D", InRoot("/var/log/journal"), "-b", "0", "--no-pager", "-o", "short-precise", .. filter]);
        Assert.True(journal.ExitCode == 0, $"journalctl: {journal.Error}");
        return journal.Output;
    }

    /// <summary>libvirt's log of one guest's QEMU: its command line, and how and why it ended.</summary>
    internal string QemuLog(string guestName) => File.ReadAllText(InRoot($"/var/log/libvirt/qemu/{guestName}.log"));

    public async ValueTask DisposeAsync()
    {
        // Kept for a look when SUNDOWN_KEEP_HOST=1: the overlay holds every log of the run.
        if (Environment.GetEnvironmentVariable("SUNDOWN_KEEP_HOST") == "1")
        {
            await Console.Error.WriteLineAsync($"SUNDOWN_KEEP_HOST=1: the host is kept in {HostDirectory} (it may still run); `{Script} remove {HostDirectory}` removes it, `{Script} sweep` every kept one.");
            return;
        }

        // Not an assertion: a failed clean-up must not hide the test's own failure. scripts/test.sh
        // sweeps what is left.
        var remove = await ProcessRunner.RunAsync(Script, ["remove", HostDirectory], timeout: TimeSpan.FromMinutes(2));
        if (remove.ExitCode != 0)
        {
            await Console.Error.WriteLineAsync($"host.sh remove {HostDirectory}: exit {remove.ExitCode}: {remove.Error}");
        }
    }

    private Task<ProcessRunner.Result> ScriptAsync(string command) => ScriptAsync([command]);

    private async Task<ProcessRunner.Result> ScriptAsync(string[] arguments)
    {
        // Shorter than a test's own timeout, so that a hung step fails with host.sh's words.
        var result = await ProcessRunner.RunAsync(Script, [arguments[0], HostDirectory, .. arguments[1..]], timeout: TimeSpan.FromMinutes(6));
        Assert.True(result.ExitCode == 0, $"host.sh {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result;
    }
}
