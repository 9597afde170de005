using System.Globalization;

namespace Sundown.Cli.Rendering;

/// <summary>Times as the timeline and progress show them: offsets from the start of the stop.</summary>
internal static class Seconds
{
    internal static string Format(TimeSpan offset) => offset.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";

    internal static double Json(TimeSpan offset) => Math.Round(offset.TotalSeconds, 3);
}
