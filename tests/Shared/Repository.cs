namespace Sundown.Testing;

/// <summary>Where the repository is, for tests that run its scripts and its published binary.</summary>
internal static class Repository
{
    internal static string Root { get; } = FindRoot();

    /// <summary>The published binary that users run; scripts/test.sh publishes it before the tests.</summary>
    internal static string SundownBinary => Path.Combine(Root, "artifacts", "bin", "sundown");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sundown.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Sundown.slnx above {AppContext.BaseDirectory}");
    }
}
