using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sundown.Core.Config;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Config;

/// <summary>
/// Reads the config file. It decides what a host's guests are subjected to at shutdown, so
/// like sshd's it must be owned by root (or by the user running sundown) and writable by
/// nobody else, and so must every directory above it, up to / (a sticky directory of root's,
/// such as /tmp, lets no one replace another's entry, so it may be writable by all);
/// otherwise it is refused, as is a file that does not parse. The file is opened once and
/// checked and read through that one descriptor, so it cannot be swapped between the check
/// and the read.
/// </summary>
public static class ConfigFile
{
    public const string DefaultPath = "/etc/sundown/sundown.toml";

    /// <summary>Far beyond any real config; a bound so that a wrong file is not read whole.</summary>
    private const int MaxLength = 1 << 20;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="path">The file given with --config, or null for the default, which may be absent (then: the defaults).</param>
    /// <exception cref="ConfigException">The file is missing (when named), unsafe, unreadable or invalid.</exception>
    public static SundownConfig Load(string? path) => Read(path).Config;

    /// <summary>
    /// <see cref="Load(string?)"/>, and a file that parsed is kept as the state directory's last
    /// good config (<see cref="LastGoodConfig"/>; best effort), for a stop at shutdown that
    /// finds the file broken.
    /// </summary>
    /// <exception cref="ConfigException">As <see cref="Load(string?)"/>.</exception>
    public static SundownConfig Load(string? path, string stateDirectory)
    {
        var (config, text) = Read(path);
        if (text is not null)
        {
            LastGoodConfig.Keep(stateDirectory, SourceOf(path), text);
        }

        return config;
    }

    /// <summary>
    /// The config for the unit's stop at host shutdown and its start at boot, which never refuse:
    /// the file if it is good, else the last good copy of it in the state directory, else the
    /// built-in defaults.
    /// </summary>
    /// <param name="fault">Null when the file was good; else what was wrong and what is used instead.</param>
    public static SundownConfig LoadOrFallBack(string? path, string stateDirectory, out Fault? fault)
    {
        string source = SourceOf(path);
        string problem;
        try
        {
            fault = null;
            return Load(path, stateDirectory);
        }
        catch (ConfigException e)
        {
            problem = e.Message;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problem = $"{source}: cannot read it: {e.Message}";
        }

        if (LastGoodConfig.TryLoad(stateDirectory, source, out var lastGood, out string detail))
        {
            fault = new Fault(FaultKinds.Config, source, $"{problem}; using {detail} instead, continuing");
            return lastGood;
        }

        fault = new Fault(FaultKinds.Config, source, $"{problem}; using the built-in defaults instead ({detail}), continuing");
        return SundownConfig.Default;
    }

    /// <summary>The file a path names, absolute: what the last good copy says it is a copy of.</summary>
    private static string SourceOf(string? path) => Path.GetFullPath(path ?? DefaultPath);

    /// <returns>The config, and the text it was parsed from (null: no file, the defaults).</returns>
    private static (SundownConfig Config, string? Text) Read(string? path)
    {
        string file = path ?? DefaultPath;
        // Non-blocking: a FIFO in its place would otherwise hang the open (the stop at shutdown
        // too) until a writer came; it is then refused as not a regular file.
        int fd = Interop.Libc.Open(file, Interop.Libc.OpenReadOnly | Interop.Libc.OpenNonBlocking | Interop.Libc.OpenCloseOnExec, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            return error == Interop.Libc.ErrorNoEntry
                ? (path is null ? (SundownConfig.Default, null) : throw new ConfigException(file, 0, 0, "no such file"))
                : throw new ConfigException(file, 0, 0, $"cannot open it: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        CheckFile(handle, file);
        CheckDirectories(handle, file);
        string text = ReadText(handle, file);
        return (ConfigParser.Parse(text, file), text);
    }

    /// <summary>Readable by anyone is fine; writable by anyone but its owner, or owned by another user, is not.</summary>
    internal static void CheckFile(SafeFileHandle handle, string file)
    {
        var status = Status(handle, file);
        if (!status.IsRegularFile)
        {
            throw new ConfigException(file, 0, 0, "it is not a regular file");
        }

        if (status.WritableByGroupOrOthers)
        {
            throw new ConfigException(file, 0, 0, $"it is writable by group or others (mode {status.OctalPermissions}): chmod go-w {file}");
        }

        if (status.Uid != 0 && status.Uid != FileStatus.CurrentUid)
        {
            throw new ConfigException(file, 0, 0, $"it is owned by uid {status.Uid}, not by root or the user running sundown: chown root {file}");
        }
    }

    /// <summary>
    /// Whoever may write a directory above the file may replace it. The directories of the file
    /// as opened (its real path, through any link) and of the path as given are checked, up to /.
    /// </summary>
    private static void CheckDirectories(SafeFileHandle handle, string file)
    {
        var directories = new List<string>();
        if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } given)
        {
            directories.Add(given);
        }

        try
        {
            if (new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget is { } real && Path.GetDirectoryName(real) is { } opened)
            {
                directories.Add(opened);
            }
        }
        catch (IOException)
        {
            // No /proc: the path as given is still checked.
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string start in directories)
        {
            for (string? directory = start; directory is not null && seen.Add(directory); directory = Path.GetDirectoryName(directory))
            {
                CheckDirectory(directory, file);
            }
        }
    }

    private static void CheckDirectory(string directory, string file)
    {
        FileStatus status;
        try
        {
            status = FileStatus.Of(directory, followLinks: true);
        }
        catch (IOException e)
        {
            throw new ConfigException(file, 0, 0, $"cannot check the directory {directory}: {e.Message}");
        }

        if (status.Uid != 0 && status.Uid != FileStatus.CurrentUid)
        {
            throw new ConfigException(file, 0, 0, $"the directory {directory} is owned by uid {status.Uid}, not by root or the user running sundown, who could replace the file");
        }

        // A sticky directory of root's (/tmp) lets no one replace what another user put there.
        if (status.WritableByGroupOrOthers && !(status.IsSticky && status.Uid == 0))
        {
            throw new ConfigException(file, 0, 0, $"the directory {directory} is writable by group or others (mode {status.OctalPermissions}), who could replace the file: chmod go-w {directory}");
        }
    }

    private static FileStatus Status(SafeFileHandle handle, string file)
    {
        try
        {
            return FileStatus.Of(handle);
        }
        catch (IOException e)
        {
            throw new ConfigException(file, 0, 0, e.Message);
        }
    }

    internal static string ReadText(SafeFileHandle handle, string file)
    {
        var buffer = new byte[MaxLength + 1];
        int length = 0;
        try
        {
            for (int read; length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0;)
            {
                length += read;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(file, 0, 0, $"cannot read it: {e.Message}");
        }

        if (length > MaxLength)
        {
            throw new ConfigException(file, 0, 0, $"it is larger than {MaxLength / 1024} KiB: not a sundown config");
        }

        var bytes = buffer.AsSpan(0, length);
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigException(file, 0, 0, "it is not UTF-8 text");
        }
    }
}
