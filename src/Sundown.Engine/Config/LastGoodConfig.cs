using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sundown.Core.Config;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Config;

/// <summary>
/// A copy of the last config that parsed, in <c>STATE/last-good.toml</c> (0600), for the stop
/// at host shutdown when the file itself has become unreadable, invalid or unsafe. Its first
/// line names the file it copies: a config given by hand with --config to some other command
/// is never taken for the unit's.
/// </summary>
public static class LastGoodConfig
{
    public const string FileName = "last-good.toml";

    private const string Header = "# sundown: the last good copy of ";

    /// <summary>
    /// Keeps <paramref name="text"/> as the last good copy of <paramref name="source"/>, written
    /// beside and renamed over (so it is whole or the previous one), and only when it changed.
    /// Best effort: a state directory that cannot be written fails no command.
    /// </summary>
    /// <returns>Whether the copy now holds this text.</returns>
    public static bool Keep(string stateDirectory, string source, string text)
    {
        string copy = Path.Combine(stateDirectory, FileName);
        string content = $"{Header}{source}\n{text}";
        try
        {
            StateDirectory.Create(stateDirectory);
            if (Unchanged(copy, content))
            {
                return true;
            }

            string temporary = copy + ".new";
            File.Delete(temporary);
            int fd = Interop.Libc.Open(temporary,
                Interop.Libc.OpenWriteOnly | Interop.Libc.OpenCreate | Interop.Libc.OpenExclusive | Interop.Libc.OpenNoFollow | Interop.Libc.OpenCloseOnExec,
                (uint)PrivateFile.Mode);
            if (fd < 0)
            {
                return false;
            }

            using (var file = new SafeFileHandle(fd, ownsHandle: true))
            {
                RandomAccess.Write(file, Encoding.UTF8.GetBytes(content), 0);
                // On disk before the rename: after a power loss, the old copy or the new, never an empty one.
                if (Interop.Libc.Fsync(fd) != 0)
                {
                    return false;
                }
            }

            File.Move(temporary, copy, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JournalException)
        {
            return false;
        }
    }

    private static bool Unchanged(string copy, string content)
    {
        try
        {
            return ReadCopy(copy) == content;
        }
        catch (ConfigException)
        {
            // A copy that is not ours, or a link, is replaced by the rename (a link itself, not what it points to).
            return false;
        }
    }

    /// <summary>The last good copy of <paramref name="source"/>, parsed.</summary>
    /// <param name="detail">What was used ("the last config that parsed, …") or why there is none.</param>
    public static bool TryLoad(string stateDirectory, string source, out SundownConfig config, out string detail)
    {
        config = SundownConfig.Default;
        string copy = Path.Combine(stateDirectory, FileName);
        string? content;
        try
        {
            content = ReadCopy(copy);
        }
        catch (ConfigException e)
        {
            detail = $"the last good copy is unusable: {e.Message}";
            return false;
        }

        if (content is null)
        {
            detail = $"there is no last good copy in {stateDirectory}";
            return false;
        }

        int end = content.IndexOf('\n', StringComparison.Ordinal);
        string first = end < 0 ? content : content[..end];
        if (first != Header + source)
        {
            detail = $"{copy} is not a copy of {source}";
            return false;
        }

        try
        {
            config = ConfigParser.Parse(content, copy);
        }
        catch (ConfigException e)
        {
            detail = $"the last good copy does not parse either: {e.Message}";
            return false;
        }

        string when = File.GetLastWriteTimeUtc(copy).ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        detail = $"the last config that parsed ({copy}, kept {when})";
        return true;
    }

    /// <summary>The copy's text, or null when there is none; never through a link, and only one of ours.</summary>
    /// <exception cref="ConfigException">It is there but unsafe or unreadable.</exception>
    private static string? ReadCopy(string copy)
    {
        int fd = Interop.Libc.Open(copy, Interop.Libc.OpenReadOnly | Interop.Libc.OpenNonBlocking | Interop.Libc.OpenNoFollow | Interop.Libc.OpenCloseOnExec, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            return error == Interop.Libc.ErrorNoEntry
                ? null
                : throw new ConfigException(copy, 0, 0, error == Interop.Libc.ErrorLoop ? "it is a symbolic link" : $"cannot open it: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        using var file = new SafeFileHandle(fd, ownsHandle: true);
        ConfigFile.CheckFile(file, copy);
        return ConfigFile.ReadText(file, copy);
    }
}
