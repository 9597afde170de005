namespace Sundown.Faults.Tests.Harness;

/// <summary>
/// One test's files: a config, a state directory, a test-driver host. Under root they live in
/// /run, whose parents are root's and not writable by others (the config's parents must not
/// be, and /tmp is); elsewhere in the temp directory.
/// </summary>
internal sealed class Workspace : IDisposable
{
    private static readonly string s_base = Environment.UserName == "root" ? "/run/sundown-faults-tests" : Path.Combine(Path.GetTempPath(), "sundown-faults-tests");

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    internal Workspace()
    {
        Directory.CreateDirectory(s_base, Private);
        File.SetUnixFileMode(s_base, Private);
        Root = Directory.CreateDirectory(Path.Combine(s_base, Guid.NewGuid().ToString("N")), Private).FullName;
        StateDirectory = Path.Combine(Root, "state");
        Directory.CreateDirectory(StateDirectory, Private);
        ConfigPath = Path.Combine(Root, "etc", "sundown.toml");
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    internal string Root { get; }

    /// <summary>The state directory (0700, empty) the runs share unless a test points them elsewhere.</summary>
    internal string StateDirectory { get; }

    internal string ConfigPath { get; }

    /// <summary>Writes the config as an operator would (root's, 0644) and returns its path.</summary>
    internal string Config(string toml)
    {
        if (Directory.Exists(ConfigPath))
        {
            Directory.Delete(ConfigPath);
        }

        File.WriteAllText(ConfigPath, toml);
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return ConfigPath;
    }

    internal string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A mount a failed umount left behind: the test has reported it already.
        }
    }
}
