using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>This checkout's Debian package (scripts/package.sh writes it), and versions of it.</summary>
internal static class PackageFile
{
    /// <summary>artifacts/sundown_*_amd64.deb: exactly one, or the test fails saying why (host.sh install demands the same).</summary>
    internal static string Current()
    {
        string artifacts = Path.Combine(Repository.Root, "artifacts");
        string[] debs = Directory.Exists(artifacts) ? Directory.GetFiles(artifacts, "sundown_*_amd64.deb") : [];
        Assert.True(debs.Length == 1, $"expected one sundown_*_amd64.deb in {artifacts} (scripts/package.sh builds it), found {debs.Length}");
        return debs[0];
    }

    internal static async Task<string> VersionAsync(string deb)
    {
        var field = await ProcessRunner.RunAsync("dpkg-deb", ["-f", deb, "Version"]);
        Assert.True(field.ExitCode == 0, $"dpkg-deb -f {deb} Version: {field.Error}");
        return field.Output.Trim();
    }

    /// <summary>
    /// <paramref name="deb"/> unpacked and built again by dpkg-deb with another Version: field, into
    /// <paramref name="directory"/>; its contents and maintainer scripts are the same.
    /// </summary>
    internal static async Task<string> WithVersionAsync(string deb, string version, string directory)
    {
        string tree = Path.Combine(directory, "tree");
        await CheckedAsync("dpkg-deb", "-R", deb, tree);
        string control = Path.Combine(tree, "DEBIAN", "control");
        string[] lines = await File.ReadAllLinesAsync(control);
        Assert.Single(lines, line => line.StartsWith("Version: ", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(control, lines.Select(line => line.StartsWith("Version: ", StringComparison.Ordinal) ? $"Version: {version}" : line));
        string built = Path.Combine(directory, $"sundown_{version}_amd64.deb");
        await CheckedAsync("dpkg-deb", "--root-owner-group", "-b", tree, built);
        return built;
    }

    private static async Task CheckedAsync(string program, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.Error}");
    }
}
