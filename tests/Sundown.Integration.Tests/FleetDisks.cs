using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// Disks of fleet guests as snapshots leave them, read from outside (their snapshots, the
/// backing chain of a disk, <c>fleet.sh disk-check</c> on its top), and a read-only disk for a
/// guest without one: in the guest's own directory under /var/lib/sundown-fleet, which
/// <c>fleet.sh down</c> removes with the guest (snapshots' metadata and overlays included).
/// </summary>
internal static partial class FleetDisks
{
    /// <summary>The fleet's disk directories (<c>fleet.sh</c>'s disk_root): <c>down</c> deletes a gone guest's.</summary>
    private const string Root = "/var/lib/sundown-fleet";

    /// <summary>
    /// Makes a 64 MiB raw image and attaches it read-only as vdb, on virtio, to the shut-off
    /// guest's persistent definition. QEMU opens it whether or not the guest's kernel has a
    /// driver for it: enough for Sundown to find no writable disk to snapshot.
    /// </summary>
    internal static async Task AttachReadOnlyAsync(string uuid)
    {
        Directory.CreateDirectory(Root);
        string dir = Path.Combine(Root, uuid);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        string image = Path.Combine(dir, "disk.raw");
        await MustAsync("qemu-img", "create", "-q", "-f", "raw", image, "64M");
        await VirshAsync("attach-disk", uuid, image, "vdb", "--driver", "qemu", "--subdriver", "raw", "--targetbus", "virtio", "--config", "--mode", "readonly");
    }

    /// <summary>The guest's snapshot names, oldest first.</summary>
    internal static async Task<IReadOnlyList<string>> SnapshotsAsync(string uuid)
    {
        var list = await VirshAsync("snapshot-list", uuid, "--name", "--topological");
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>The image the guest's <paramref name="target"/> disk now writes to: the top of its chain (the newest overlay after snapshots).</summary>
    internal static async Task<string> TopAsync(string uuid, string target = "vda") =>
        (await VirshAsync("domblklist", uuid, "--details")).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Single(f => f.Length >= 4 && f[2] == target)[3];

    /// <summary>The images of the disk's backing chain, top first, as qemu-img reads them from outside (-U: QEMU may hold them).</summary>
    internal static async Task<IReadOnlyList<string>> ChainAsync(string uuid, string target = "vda")
    {
        var info = await MustAsync("qemu-img", "info", "--backing-chain", "-U", await TopAsync(uuid, target));
        return [.. ImageLine().Matches(info).Select(m => m.Groups[1].Value.Trim())];
    }

    /// <summary><c>fleet.sh disk-check</c> on the top of the guest's chain: what the guest would find at its next boot.</summary>
    internal static async Task<FleetScript.DiskCheck> DiskCheckAsync(string uuid)
    {
        string top = await TopAsync(uuid);
        var check = await ProcessRunner.RunAsync(Fleet.Script, ["disk-check", top], timeout: TimeSpan.FromMinutes(1));
        Assert.True(check.ExitCode == 0, $"fleet.sh disk-check {top} failed: {check.Error}");
        TestContext.Current.TestOutputHelper?.WriteLine($"disk-check {top}: {check.Output.Trim()} {check.Error.Trim()}");
        return FleetScript.ParseDiskCheck(check.Output);
    }

    internal static Task<string> VirshAsync(params string[] args) => MustAsync("virsh", ["-c", Fleet.Uri, .. args]);

    private static async Task<string> MustAsync(string program, params string[] args)
    {
        var run = await ProcessRunner.RunAsync(program, args, timeout: TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, $"{program} {string.Join(' ', args)}: exit {run.ExitCode}: {run.Error}");
        return run.Output;
    }

    [GeneratedRegex(@"^image: (.+)$", RegexOptions.Multiline)]
    private static partial Regex ImageLine();
}
