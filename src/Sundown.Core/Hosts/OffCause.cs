namespace Sundown.Core.Hosts;

/// <summary>How a guest went off, as libvirt's SHUTOFF reason or STOPPED event detail tells it.</summary>
public enum OffCause
{
    /// <summary>Shut down (the guest powered itself off), or any reason that says nothing worse.</summary>
    ShutDown,

    /// <summary>Its memory went to a managed-save image: a start restores it.</summary>
    Saved,

    /// <summary>Powered off by force, or it crashed: not a clean shutdown.</summary>
    Destroyed,
}
