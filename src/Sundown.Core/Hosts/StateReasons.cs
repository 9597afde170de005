namespace Sundown.Core.Hosts;

/// <summary>
/// libvirt's numbers for why a guest is off (<c>virDomainShutoffReason</c>, read with its state)
/// and how it went off (<c>virDomainEventStoppedDetailType</c>, the detail of a STOPPED event),
/// in one place, with what each means for Sundown. Values from libvirt-domain.h (9.0).
/// </summary>
public static class StateReasons
{
    // virDomainShutoffReason
    public const int ShutoffUnknown = 0;
    public const int ShutoffShutdown = 1;
    public const int ShutoffDestroyed = 2;
    public const int ShutoffCrashed = 3;
    public const int ShutoffMigrated = 4;
    public const int ShutoffSaved = 5;
    public const int ShutoffFailed = 6;
    public const int ShutoffFromSnapshot = 7;
    public const int ShutoffDaemon = 8;

    // virDomainEventStoppedDetailType
    public const int StoppedShutdown = 0;
    public const int StoppedDestroyed = 1;
    public const int StoppedCrashed = 2;
    public const int StoppedMigrated = 3;
    public const int StoppedSaved = 4;
    public const int StoppedFailed = 5;
    public const int StoppedFromSnapshot = 6;

    /// <summary>How a guest read as SHUTOFF went off, from its reason.</summary>
    public static OffCause OfShutoffReason(int reason) => reason switch
    {
        ShutoffSaved => OffCause.Saved,
        ShutoffDestroyed or ShutoffCrashed => OffCause.Destroyed,
        _ => OffCause.ShutDown,
    };

    /// <summary>How a guest went off, from the detail of its STOPPED event.</summary>
    public static OffCause OfStoppedDetail(int detail) => detail switch
    {
        StoppedSaved => OffCause.Saved,
        StoppedDestroyed or StoppedCrashed => OffCause.Destroyed,
        _ => OffCause.ShutDown,
    };

    /// <summary>The STOPPED event detail that goes with a SHUTOFF reason, for an event made up from a state read.</summary>
    public static int StoppedDetailOf(int shutoffReason) => OfShutoffReason(shutoffReason) switch
    {
        OffCause.Saved => StoppedSaved,
        OffCause.Destroyed => shutoffReason == ShutoffCrashed ? StoppedCrashed : StoppedDestroyed,
        _ => StoppedShutdown,
    };
}
