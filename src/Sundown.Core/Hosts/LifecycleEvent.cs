namespace Sundown.Core.Hosts;

/// <summary>A guest's lifecycle changed: started, stopped, saved, suspended…</summary>
/// <param name="Detail">libvirt's detail number for the kind (e.g. STOPPED/SAVED = 4).</param>
public sealed record LifecycleEvent(string Uri, string Uuid, string Name, LifecycleEventKind Kind, int Detail);
