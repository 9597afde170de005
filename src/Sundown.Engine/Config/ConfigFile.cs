using Sundown.Core.Config;

namespace Sundown.Engine.Config;

/// <summary>
/// Reads the config file. It decides what a host's guests are subjected to at shutdown, so
/// like sshd's it must be owned by root (or by the user running sundown) and writable by
/// nobody else; otherwise it is refused, as is a file that does not parse.
/// </summary>
public static class ConfigFile
{
    public const string DefaultPath = "/etc/sundown/sundown.toml";

    /// <param name="path">The file given with --config, or null for the default, which may be absent (then: the defaults).</param>
    /// <exception cref="ConfigException">The file is missing (when named), unsafe, or invalid.</exception>
    public static SundownConfig Load(string? path)
    {
        string file = path ?? DefaultPath;
        if (!File.Exists(file))
        {
            return path is null ? SundownConfig.Default : throw new ConfigException(file, 0, 0, "no such file");
        }

        CheckOwnership(file);
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(file, 0, 0, $"cannot read it: {e.Message}");
        }

        return ConfigParser.Parse(text, file);
    }

    private static void CheckOwnership(string file)
    {
        var mode = File.GetUnixFileMode(file);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new ConfigException(file, 0, 0, $"it is writable by group or others (mode {Convert.ToString((int)mode, 8)}): chmod go-w {file}");
        }

        uint owner = FileOwner.UidOf(file);
        uint me = FileOwner.CurrentUid();
        if (owner != 0 && owner != me)
        {
            throw new ConfigException(file, 0, 0, $"it is owned by uid {owner}, not by root or the user running sundown: chown root {file}");
        }
    }
}
