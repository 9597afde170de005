namespace Sundown.Core.Ups;

/// <summary>
/// What <c>sundown watch</c> does when the power comes back after it stopped the guests and the
/// host stayed up: <c>on_power_return = "start 5m"</c> (start them again once the power has held
/// that long) or <c>"nothing"</c> (leave them off; the restore list waits for the next boot or
/// <c>sundown start</c>).
/// </summary>
/// <param name="Hold">How long the UPS must have been on line before the guests are started; null for "nothing".</param>
public sealed record PowerReturn(TimeSpan? Hold)
{
    public static PowerReturn Default { get; } = new(TimeSpan.FromMinutes(5));

    public static PowerReturn Nothing { get; } = new((TimeSpan?)null);

    public bool Starts => Hold is not null;

    /// <summary>Parses <c>"start DUR"</c>, <c>"start"</c> (the default hold) or <c>"nothing"</c>; null with a reason otherwise.</summary>
    public static PowerReturn? TryParse(string text, out string? error)
    {
        error = null;
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (words)
        {
            case ["nothing"]:
                return Nothing;
            case ["start"]:
                return Default;
            case ["start", var hold]:
                return Config.Durations.TryParse(hold, out error) is { } h ? new PowerReturn(h) : null;
            default:
                error = $"'{text}' is not \"start DUR\" (start the guests again once the power has held DUR) or \"nothing\"";
                return null;
        }
    }

    public override string ToString() => Hold is { } h ? $"start {Config.Durations.Format(h)}" : "nothing";
}
