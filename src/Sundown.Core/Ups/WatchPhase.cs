namespace Sundown.Core.Ups;

/// <summary>Where <c>sundown watch</c> is in following a power cut.</summary>
public enum WatchPhase
{
    /// <summary>The UPS is on line (or has not been read yet); nothing to do.</summary>
    OnLine,

    /// <summary>The power is out; the trigger is checked at every reading.</summary>
    OnBattery,

    /// <summary>The guests' stop that watch began is running.</summary>
    Stopping,

    /// <summary>The guests' stop ended; the power has not come back (or came back and was lost again).</summary>
    Stopped,

    /// <summary>The power is back after a stop; the guests start once it has held for <c>on_power_return</c>'s time.</summary>
    Holding,

    /// <summary>The start on power return is running.</summary>
    Starting,
}
