using Sundown.Core.Model;

namespace Sundown.Libvirt;

/// <summary>Maps libvirt's <c>virDomainState</c> numbers to the Core's <see cref="GuestState"/>.</summary>
internal static class LibvirtStates
{
    // virDomainState, from libvirt-domain.h (the ABI test checks these values).
    internal const int NoState = 0;
    internal const int Running = 1;
    internal const int Blocked = 2;
    internal const int Paused = 3;
    internal const int Shutdown = 4;
    internal const int Shutoff = 5;
    internal const int Crashed = 6;
    internal const int PmSuspended = 7;

    internal static GuestState ToGuestState(int state) => state switch
    {
        Running => GuestState.Running,
        Blocked => GuestState.Blocked,
        Paused => GuestState.Paused,
        Shutdown => GuestState.Shutdown,
        Shutoff => GuestState.Shutoff,
        Crashed => GuestState.Crashed,
        PmSuspended => GuestState.PmSuspended,
        _ => GuestState.NoState,
    };
}
