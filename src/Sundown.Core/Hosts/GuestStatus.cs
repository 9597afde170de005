using Sundown.Core.Model;

namespace Sundown.Core.Hosts;

/// <summary>A guest's state and libvirt's reason number for it (e.g. SHUTOFF/SAVED = 5).</summary>
public readonly record struct GuestStatus(GuestState State, int Reason);
