namespace Sundown.Core.Ups;

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
