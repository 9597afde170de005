using Sundown.Core.Ups;

namespace Sundown.Core.Doctor;

/// <summary>What doctor read of the UPS and of NUT on this machine.</summary>
/// <param name="Reading">The UPS of the config's <c>[ups]</c>, read now; null without [ups] or when it could not be read.</param>
/// <param name="ReadError">Why it could not be read (the UpsException's message); null when it was, or when there is no [ups].</param>
/// <param name="UpsmonConf">NUT's <c>/etc/nut/upsmon.conf</c>.</param>
/// <param name="WatchEnabledBy">The <c>*.wants/</c> link that enables <see cref="WatchUnitName"/>; null when nothing does or it is masked.</param>
public sealed record UpsFacts(UpsReading? Reading, string? ReadError, FileText UpsmonConf, string? WatchEnabledBy)
{
    /// <summary><c>sundown watch</c>'s unit, which begins the guests' stop from the UPS's runtime before NUT's low battery.</summary>
    public const string WatchUnitName = "sundown-watch.service";

    public static UpsFacts None { get; } = new(null, null, FileText.Absent("/etc/nut/upsmon.conf"), null);

    public bool WatchEnabled => WatchEnabledBy is not null;

    /// <summary>The config file that holds [ups]'s password, when others may read it (its mode lets them); null otherwise.</summary>
    public string? PasswordReadableIn { get; init; }

    /// <summary>On a rack's secondary: whether the [ups] user's login was tried (<see cref="LoginError"/>).</summary>
    public bool LoginChecked { get; init; }

    /// <summary>Why the [ups] user cannot log in to the UPS (upsd's ERR, or no answer); null when it can or was not tried.</summary>
    public string? LoginError { get; init; }
}
