namespace Sundown.Core.Ups;

/// <summary>Why a UPS could not be read; every kind means the same to the stop (the config's budget), but doctor and watch say which.</summary>
public enum UpsErrorKind
{
    /// <summary>upsd cannot be reached: refused, no route, no such host.</summary>
    Unreachable,

    /// <summary>upsd did not answer in time.</summary>
    Timeout,

    /// <summary>upsd answered <c>ERR …</c>: UNKNOWN-UPS, DATA-STALE, DRIVER-NOT-CONNECTED, ACCESS-DENIED….</summary>
    Refused,

    /// <summary>What came back is not NUT's protocol.</summary>
    Garbage,
}
