using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Sundown.Core.Doctor;

/// <summary>
/// What doctor needs of NUT's <c>upsmon.conf</c>: the UPSes it monitors, its SHUTDOWNCMD, and
/// the delays before it runs it. Read as upsmon reads it (NUT's common/parseconf.c and
/// clients/upsmon.c): words split by white space, <c>"…"</c> groups one, a backslash takes the
/// next character as it is (and at the end of a line joins the next line), <c>#</c> outside
/// quotes begins a comment; keywords are case-sensitive, a keyword without an argument is
/// ignored, and a later setting replaces an earlier one.
/// </summary>
/// <param name="Monitors">Every <c>MONITOR</c> line, in file order.</param>
/// <param name="ShutdownCmd"><c>SHUTDOWNCMD</c>; null when the file sets none.</param>
public sealed record UpsmonConf(
    string Path,
    ImmutableArray<UpsmonMonitor> Monitors,
    UpsmonSetting? ShutdownCmd,
    UpsmonSetting? FinalDelay,
    UpsmonSetting? HostSync)
{
    /// <summary>upsmon's FINALDELAY when the file sets none (upsmon.conf(5)).</summary>
    public static readonly TimeSpan DefaultFinalDelay = TimeSpan.FromSeconds(5);

    /// <summary>upsmon's HOSTSYNC when the file sets none (upsmon.conf(5)).</summary>
    public static readonly TimeSpan DefaultHostSync = TimeSpan.FromSeconds(15);

    /// <summary>The monitored UPSes that power this host (power value above 0): their low battery makes upsmon shut it down.</summary>
    public ImmutableArray<UpsmonMonitor> Powering => [.. Monitors.Where(m => m.PowerValue > 0)];

    /// <summary>FINALDELAY in seconds, as upsmon reads it (atoi: "5s" is 5, "soon" is 0).</summary>
    public TimeSpan FinalDelaySeconds => FinalDelay is { } set ? TimeSpan.FromSeconds(Atoi(set.Value)) : DefaultFinalDelay;

    public TimeSpan HostSyncSeconds => HostSync is { } set ? TimeSpan.FromSeconds(Atoi(set.Value)) : DefaultHostSync;

    public static UpsmonConf Parse(string text, string path)
    {
        var monitors = ImmutableArray.CreateBuilder<UpsmonMonitor>();
        UpsmonSetting? shutdownCmd = null, finalDelay = null, hostSync = null;
        foreach (var (line, words) in Lines(text))
        {
            if (words.Count < 2)
            {
                continue;
            }

            var setting = new UpsmonSetting(words[1], line);
            switch (words[0])
            {
                case "SHUTDOWNCMD":
                    shutdownCmd = setting;
                    break;
                case "FINALDELAY":
                    finalDelay = setting;
                    break;
                case "HOSTSYNC":
                    hostSync = setting;
                    break;
                case "MONITOR":
                    // MONITOR system powervalue username password type
                    monitors.Add(new UpsmonMonitor(words[1], words.Count > 2 ? Atoi(words[2]) : 0, line, words.Count > 5 ? words[5] : ""));
                    break;
            }
        }

        return new UpsmonConf(path, monitors.ToImmutable(), shutdownCmd, finalDelay, hostSync);
    }

    /// <summary>C's atoi: leading white space, a sign, digits; anything else ends the number (none: 0).</summary>
    internal static int Atoi(string text)
    {
        var s = text.AsSpan().TrimStart();
        int end = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }

        return int.TryParse(s[..end], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value : 0;
    }

    /// <summary>The logical lines of the file, each with the number of the physical line it begins on, as parseconf splits them.</summary>
    internal static IEnumerable<(int Line, List<string> Words)> Lines(string text)
    {
        int line = 1;
        int i = 0;
        while (i < text.Length)
        {
            int start = line;
            var words = new List<string>();
            var word = new StringBuilder();
            bool inWord = false;
            bool quoted = false;
            bool comment = false;
            while (i < text.Length)
            {
                char c = text[i++];
                if (c == '\n')
                {
                    line++;
                }

                if (comment)
                {
                    if (c == '\n')
                    {
                        break;
                    }

                    continue;
                }

                if (quoted)
                {
                    if (c == '"')
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        quoted = false;
                    }
                    else if (c == '\\')
                    {
                        // A backslash-newline inside quotes joins the next line.
                        if (i < text.Length && text[i] != '\n')
                        {
                            Add(word, text[i]);
                        }
                        else if (i < text.Length)
                        {
                            line++;
                        }

                        i++;
                    }
                    else
                    {
                        // An unterminated quote runs on into the next line, the newline dropped.
                        Add(word, c);
                    }

                    continue;
                }

                if (c == '\\')
                {
                    if (i < text.Length && text[i] != '\n')
                    {
                        Add(word, text[i]);
                    }
                    else if (i < text.Length)
                    {
                        line++;
                    }

                    i++;
                    inWord = true;
                    continue;
                }

                if (c == '\n' || c == '#' || char.IsWhiteSpace(c) || c == '=')
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    if (c == '=')
                    {
                        // parseconf makes a lone '=' a word of its own.
                        words.Add("=");
                    }

                    if (c == '\n')
                    {
                        break;
                    }

                    comment = c == '#';
                    continue;
                }

                if (c == '"' && !inWord)
                {
                    quoted = true;
                    continue;
                }

                Add(word, c);
                inWord = true;
            }

            if (inWord || (quoted && word.Length > 0))
            {
                words.Add(word.ToString());
            }

            yield return (start, words);
        }
    }

    /// <summary>parseconf keeps printable ASCII only (CVE-2012-2944), dropping the rest.</summary>
    private static void Add(StringBuilder word, char c)
    {
        if (c is >= ' ' and <= '\x7f')
        {
            word.Append(c);
        }
    }
}
