namespace Sundown.Core.Doctor;

/// <summary>A file doctor read, or tried to.</summary>
/// <param name="Text">Its content; null when it is absent or could not be read.</param>
/// <param name="Unreadable">Why it could not be read (it exists); null when it was read or is absent.</param>
public sealed record FileText(string Path, string? Text, string? Unreadable = null)
{
    public bool Exists => Text is not null || Unreadable is not null;

    public static FileText Absent(string path) => new(path, null);
}
