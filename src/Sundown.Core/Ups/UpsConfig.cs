namespace Sundown.Core.Ups;

/// <summary>The config's <c>[ups]</c>: the UPS whose runtime bounds the budget while it is on battery.</summary>
/// <param name="Margin">Runtime kept back for the host's own shutdown after the guests' (upsmon, the unmounts, the UPS's own off delay).</param>
public sealed record UpsConfig(UpsName Name, TimeSpan Margin, PowerReturn OnPowerReturn)
{
    public static readonly TimeSpan DefaultMargin = TimeSpan.FromSeconds(60);
}
