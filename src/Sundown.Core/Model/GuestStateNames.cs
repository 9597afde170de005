namespace Sundown.Core.Model;

/// <summary>The words the JSON contract and the tables use for <see cref="GuestState"/>.</summary>
public static class GuestStateNames
{
    public static string ToContractName(this GuestState state) => state switch
    {
        GuestState.Running => "running",
        GuestState.Blocked => "blocked",
        GuestState.Paused => "paused",
        GuestState.Shutdown => "shutdown",
        GuestState.Shutoff => "shutoff",
        GuestState.Crashed => "crashed",
        GuestState.PmSuspended => "pmsuspended",
        _ => "nostate",
    };

    /// <summary>True while the guest holds memory and a QEMU process: it must be handled by a stop.</summary>
    public static bool IsActive(this GuestState state) =>
        state is not (GuestState.Shutoff or GuestState.NoState);
}
