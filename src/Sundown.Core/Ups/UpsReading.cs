using System.Collections.Immutable;

namespace Sundown.Core.Ups;

/// <summary>What the UPS said at one moment: <c>ups.status</c>'s tokens and the battery's figures NUT serves.</summary>
/// <param name="Status">The tokens of <c>ups.status</c> (OL, OB, LB, FSD, CHRG…), as upsd sent them.</param>
/// <param name="Runtime"><c>battery.runtime</c>: the time the battery lasts at the present load; null if the UPS does not say.</param>
/// <param name="RuntimeLow"><c>battery.runtime.low</c>: the runtime at which the UPS reports LB; null if it does not say.</param>
/// <param name="Charge"><c>battery.charge</c> in percent; null if it does not say.</param>
public sealed record UpsReading(ImmutableArray<string> Status, TimeSpan? Runtime, TimeSpan? RuntimeLow, double? Charge)
{
    /// <summary>On battery: the power is out.</summary>
    public bool OnBattery => Has("OB");

    public bool LowBattery => Has("LB");

    /// <summary>A primary upsmon set forced shutdown: every host on this UPS is going down now.</summary>
    public bool ForcedShutdown => Has("FSD");

    public bool OnLine => Has("OL");

    public string StatusText => string.Join(' ', Status);

    private bool Has(string token) => Status.Contains(token, StringComparer.Ordinal);
}
