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

/// <summary>The words of <see cref="WatchPhase"/> in the status file and <c>watch --status</c>.</summary>
public static class WatchPhases
{
    public static string ToWord(this WatchPhase phase) => phase switch
    {
        WatchPhase.OnLine => "on-line",
        WatchPhase.OnBattery => "on-battery",
        WatchPhase.Stopping => "stopping",
        WatchPhase.Stopped => "stopped",
        WatchPhase.Holding => "holding",
        WatchPhase.Starting => "starting",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
    };

    public static WatchPhase? FromWord(string word) => word switch
    {
        "on-line" => WatchPhase.OnLine,
        "on-battery" => WatchPhase.OnBattery,
        "stopping" => WatchPhase.Stopping,
        "stopped" => WatchPhase.Stopped,
        "holding" => WatchPhase.Holding,
        "starting" => WatchPhase.Starting,
        _ => null,
    };
}
