using System.Globalization;

namespace Sundown.Cli.Systemd;

/// <summary>
/// Syslog priorities for log lines that go to the journal: a line that begins with <c>&lt;N&gt;</c>
/// is stored with priority N (sd-daemon(3)), so <c>journalctl -p warning</c> finds the forced
/// and failed steps of a shutdown. Only when the line really goes to the journal; anywhere else
/// the prefix would be noise.
/// </summary>
internal static class LogPriority
{
    internal const int Error = 3;
    internal const int Warning = 4;
    internal const int Info = 6;

    internal const string StreamVariable = "JOURNAL_STREAM";

    internal static string Prefix(int priority, string line) => $"<{priority.ToString(CultureInfo.InvariantCulture)}>{line}";

    /// <summary>True when <paramref name="writer"/> is this process's stdout or stderr and that is connected to the journal.</summary>
    internal static bool GoesToJournal(TextWriter writer)
    {
        int fd = ReferenceEquals(writer, Console.Out) ? 1 : ReferenceEquals(writer, Console.Error) ? 2 : -1;
        if (fd < 0 || Environment.GetEnvironmentVariable(StreamVariable) is not { } stream)
        {
            return false;
        }

        string? target;
        try
        {
            target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return false;
        }

        return Matches(stream, target);
    }

    /// <summary>
    /// Whether <c>$JOURNAL_STREAM</c> ("DEVICE:INODE", systemd.exec(5)) names the file a descriptor
    /// points to, given as its /proc/self/fd link (<c>socket:[INODE]</c> for a socket). The
    /// variable is inherited by children whose output went elsewhere, so it must be compared, not
    /// merely present. The journal's stream is always a socket, and every socket lives on the one
    /// socket file system, so the inode alone identifies it; a file or pipe never matches.
    /// </summary>
    internal static bool Matches(string journalStream, string? descriptorTarget)
    {
        int colon = journalStream.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || descriptorTarget is null
            || !ulong.TryParse(journalStream.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || !ulong.TryParse(journalStream.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return false;
        }

        return descriptorTarget == $"socket:[{inode.ToString(CultureInfo.InvariantCulture)}]";
    }
}
