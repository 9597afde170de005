using Sundown.Testing;

namespace Sundown.Faults.Tests.Harness;

/// <summary>A tmpfs mounted over a directory for one test, lazily unmounted however the test ends.</summary>
internal sealed class Tmpfs : IAsyncDisposable
{
    private readonly string _path;

    private Tmpfs(string path) => _path = path;

    /// <summary>
    /// Mounts a tmpfs with <paramref name="options"/> over <paramref name="path"/>. <c>mode=0700</c>
    /// is always added: a tmpfs root is 1777 by default, which a state directory may rightly be
    /// refused for (issue 11, item 10), and these tests are about read-only and full, not that.
    /// </summary>
    internal static async Task<Tmpfs> MountAsync(string path, string options)
    {
        Requires.Root();
        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", $"{options},mode=0700", "tmpfs", path], timeout: TimeSpan.FromSeconds(30));
        Assert.True(mount.ExitCode == 0, $"mount -t tmpfs -o {options} over {path} failed: {mount.Error}");
        return new Tmpfs(path);
    }

    /// <summary>Fills the filesystem to its last block (dd ends with "No space left on device").</summary>
    internal async Task FillAsync()
    {
        var dd = await ProcessRunner.RunAsync("dd", ["if=/dev/zero", $"of={Path.Combine(_path, "fill")}", "bs=4k"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(dd.Error.Contains("No space left on device", StringComparison.Ordinal), $"dd did not fill {_path}: {dd.Error}");
    }

    public async ValueTask DisposeAsync()
    {
        var umount = await ProcessRunner.RunAsync("umount", ["-l", _path], timeout: TimeSpan.FromSeconds(30));
        Assert.True(umount.ExitCode == 0, $"umount -l {_path} failed: {umount.Error}");
    }
}
