using System.Collections.Immutable;

namespace Sundown.Core.Doctor;

/// <summary>
/// A systemd unit (or <c>system.conf</c>) with its drop-ins, as far as doctor needs it:
/// <c>[Section]</c> headers, <c>Key=value</c> lines, <c>#</c> and <c>;</c> comments,
/// continuation lines ending in a backslash. A later setting overrides an earlier one, and an
/// empty value resets the key, as systemd does for the settings doctor reads.
/// </summary>
public sealed record SystemdUnit(ImmutableArray<SystemdSetting> Settings)
{
    public static SystemdUnit Empty { get; } = new([]);

    public static SystemdUnit Parse(string text, string file)
    {
        var settings = ImmutableArray.CreateBuilder<SystemdSetting>();
        string section = "";
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i].Trim();
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1].TrimEnd() + " " + lines[++i].Trim();
            }

            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1].Trim();
                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                settings.Add(new SystemdSetting(section, line[..equals].Trim(), line[(equals + 1)..].Trim(), file, lineNumber));
            }
        }

        return new SystemdUnit(settings.ToImmutable());
    }

    /// <summary>This unit with a drop-in applied after it.</summary>
    public SystemdUnit With(SystemdUnit dropIn) => new([.. Settings, .. dropIn.Settings]);

    /// <summary>The setting in force for a key: the last one, unless it reset the key (an empty value).</summary>
    public SystemdSetting? Get(string section, string key)
    {
        var last = Settings.LastOrDefault(s => s.Section == section && s.Key == key);
        return last is { Value.Length: > 0 } ? last : null;
    }

    /// <summary>
    /// Every value of a list setting (After=, Wants=…) in force: all its lines, those before the
    /// last empty one (which resets the list) left out.
    /// </summary>
    public IEnumerable<SystemdSetting> GetAll(string section, string key)
    {
        var lines = Settings.Where(s => s.Section == section && s.Key == key).ToList();
        int reset = lines.FindLastIndex(s => s.Value.Length == 0);
        return lines.Skip(reset + 1);
    }
}
