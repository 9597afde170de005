using Sundown.Testing;

namespace Sundown.Libvirt.Tests.Abi;

/// <summary>
/// The Debian 13 (libvirt 11.3) host image of the whole-host tests, found as they find it:
/// <c>tests/wholehost/host.sh image trixie</c> prints its directory (building it once if need be).
/// </summary>
internal static class TrixieImage
{
    private static readonly Lazy<Task<string>> s_directory = new(FindAsync);

    /// <summary>The image's directory; its root/ is the file system. Skips (in CI: fails) when it cannot be had here.</summary>
    internal static Task<string> DirectoryAsync() => s_directory.Value;

    private static async Task<string> FindAsync()
    {
        Requires.Root();
        string script = Path.Combine(Repository.Root, "tests", "wholehost", "host.sh");
        var image = await ProcessRunner.RunAsync(script, ["image", "trixie"], timeout: TimeSpan.FromMinutes(10));
        Requires.That(image.ExitCode == 0, $"host.sh image trixie failed: {image.Error}");
        return image.Output.Trim().Split('\n')[^1];
    }
}
