using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// Disks for fleet guests a test started (the fleet's own guests have none yet): an image of
/// its own per guest under <see cref="Root"/>, put in the guest's persistent definition while
/// it is shut off, and everything snapshots leave removed again: libvirt's snapshot metadata
/// (which <c>fleet.sh down</c>'s undefine refuses) and the overlays beside the image.
/// </summary>
internal static partial class FleetDisks
{
    /// <summary>Where the images go: a directory of their own, which user libvirt-qemu can traverse.</summary>
    internal const string Root = "/var/lib/sundown-snapshot-tests";

    internal static string DirectoryOf(string uuid) => Path.Combine(Root, uuid);

    /// <summary>
    /// Makes a 64 MiB image (<paramref name="format"/> qcow2 or raw) and attaches it as vdb, on
    /// virtio, to the shut-off guest's persistent definition. QEMU opens it whether or not the
    /// guest's kernel has a driver for it (the fleet's has no virtio_blk): enough for snapshots.
    /// </summary>
    internal static async Task<string> AttachAsync(string uuid, string format = "qcow2", bool readOnly = false)
    {
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, (UnixFileMode)Convert.ToInt32("755", 8));
        string dir = DirectoryOf(uuid);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        string image = Path.Combine(dir, "disk." + format);
        await MustAsync("qemu-img", "create", "-q", "-f", format, image, "64M");
        var attach = new List<string> { "attach-disk", uuid, image, "vdb", "--driver", "qemu", "--subdriver", format, "--targetbus", "virtio", "--config" };
        if (readOnly)
        {
            attach.Add("--mode");
            attach.Add("readonly");
        }

        await VirshAsync([.. attach]);
        return image;
    }

    /// <summary>The guest's snapshot names, oldest first.</summary>
    internal static async Task<IReadOnlyList<string>> SnapshotsAsync(string uuid)
    {
        var list = await VirshAsync("snapshot-list", uuid, "--name", "--topological");
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>The images of vdb's backing chain, top first, as qemu-img reads them from outside (-U: QEMU holds them).</summary>
    internal static async Task<IReadOnlyList<string>> ChainAsync(string uuid)
    {
        string top = (await VirshAsync("domblklist", uuid, "--details")).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Single(f => f.Length >= 4 && f[2] == "vdb")[3];
        var info = await MustAsync("qemu-img", "info", "--backing-chain", "-U", top);
        return [.. ImageLine().Matches(info).Select(m => m.Groups[1].Value.Trim())];
    }

    /// <summary>Stops the guest if it runs, drops its snapshots' metadata, undefines it and removes its images and overlays.</summary>
    internal static async Task RemoveAsync(string uuid)
    {
        await ProcessRunner.RunAsync("virsh", ["-c", Fleet.Uri, "destroy", uuid], timeout: TimeSpan.FromSeconds(60));
        await ProcessRunner.RunAsync("virsh", ["-c", Fleet.Uri, "undefine", uuid, "--snapshots-metadata", "--managed-save", "--nvram"], timeout: TimeSpan.FromSeconds(60));
        if (Directory.Exists(DirectoryOf(uuid)))
        {
            Directory.Delete(DirectoryOf(uuid), recursive: true);
        }
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
