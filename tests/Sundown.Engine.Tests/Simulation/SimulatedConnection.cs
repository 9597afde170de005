using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// One connection to a <see cref="SimulatedHost"/> that can break as a connection to a
/// restarting libvirtd does: every call fails with ConnectionLost, and the events the host
/// sends meanwhile are lost. It can also freeze as a libvirtd stopped with SIGSTOP does: calls
/// block and no events come, until it breaks (keepalive closes it). The guests live on in the host.
/// </summary>
internal sealed class SimulatedConnection(SimulatedHost host) : IGuestHost
{
    private readonly ManualResetEventSlim _answering = new(initialState: true);
    private volatile bool _broken;

    public event Action? Disconnected;

    public string Uri => host.Uri;

    /// <summary>True once closed by its user, as opposed to broken by the host.</summary>
    internal bool Disposed { get; private set; }

    /// <summary>Breaks the connection; with <paramref name="tell"/> the close callback fires too.</summary>
    internal void Break(bool tell)
    {
        _broken = true;
        // Calls blocked on a frozen peer fail now, as libvirt fails them when keepalive closes the connection.
        _answering.Set();
        if (tell)
        {
            Disconnected?.Invoke();
        }
    }

    /// <summary>The peer stops answering: calls block, events stop, until <see cref="Break"/>.</summary>
    internal void Freeze() => _answering.Reset();

    public IReadOnlyList<Guest> ListGuests() => Live(() => host.ListGuests());

    public GuestStatus GetStatus(string uuid) => Live(() => host.GetStatus(uuid));

    public void Shutdown(string uuid, ShutdownMethod method) => Live(() => host.Shutdown(uuid, method));

    public void Destroy(string uuid) => Live(() => host.Destroy(uuid));

    public void Suspend(string uuid) => Live(() => host.Suspend(uuid));

    public void Resume(string uuid) => Live(() => host.Resume(uuid));

    public void Wakeup(string uuid) => Live(() => host.Wakeup(uuid));

    public void ManagedSave(string uuid) => Live(() => host.ManagedSave(uuid));

    public void AbortJob(string uuid) => Live(() => host.AbortJob(uuid));

    public SnapshotMade CreateDiskSnapshot(string uuid, string name, string description, bool quiesce) => Live(() => host.CreateDiskSnapshot(uuid, name, description, quiesce));

    public IReadOnlyList<SnapshotInfo> ListSnapshots(string uuid) => Live(() => host.ListSnapshots(uuid));

    public void DeleteSnapshot(string uuid, string name) => Live(() => host.DeleteSnapshot(uuid, name));

    public void Start(string uuid, bool paused = false) => Live(() => host.Start(uuid, paused));

    public string? GetMetadata(string uuid, string namespaceUri) => Live(() => host.GetMetadata(uuid, namespaceUri));

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml) => Live(() => host.SetMetadata(uuid, namespaceUri, prefix, xml));

    // Registering a callback is a call like any other: on a broken connection it fails.
    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink) => Live(() => host.SubscribeLifecycle(new UnlessBroken(this, sink)));

    // Closing is a call too: on a frozen peer it waits until the connection breaks.
    public void Dispose()
    {
        _answering.Wait();
        Disposed = true;
        _broken = true;
    }

    private void Live(Action call) => Live<bool>(() =>
    {
        call();
        return true;
    });

    private T Live<T>(Func<T> call)
    {
        _answering.Wait();
        return _broken ? throw Lost() : call();
    }

    [SuppressMessage("Performance", "CA1822", Justification = "reads better beside Live")]
    private HostException Lost() => new(HostErrorKind.ConnectionLost, "internal error: client socket is closed");

    /// <summary>Forwards events while the connection is up; drops them once it is broken.</summary>
    private sealed class UnlessBroken(SimulatedConnection connection, ChannelWriter<LifecycleEvent> sink) : ChannelWriter<LifecycleEvent>
    {
        public override bool TryWrite(LifecycleEvent item) => !connection._broken && connection._answering.IsSet && sink.TryWrite(item);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => sink.WaitToWriteAsync(cancellationToken);
    }
}
