using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Sundown.Core.Hosts;

namespace Sundown.Libvirt;

public sealed partial class LibvirtHost
{
    private readonly List<IDisposable> _subscriptions = [];

    public unsafe IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        var subscription = new LifecycleSubscription(this, sink);
        var opaque = GCHandle.Alloc(subscription);
        // SAFETY: the callbacks are static UnmanagedCallersOnly functions; `opaque` is a
        // GCHandle that libvirt hands back to OnLifecycle and frees through OnFree when the
        // callback is deregistered (or here, if registering fails).
        int id = Interop.Libvirt.ConnectDomainEventRegisterAny(
            _connection, 0, Interop.Libvirt.DomainEventIdLifecycle, &OnLifecycle, GCHandle.ToIntPtr(opaque), &OnFree);
        if (id < 0)
        {
            var error = LibvirtException.FromLastError($"subscribing to guest events on '{Uri}'");
            opaque.Free();
            subscription.Dispose();
            throw error;
        }

        subscription.CallbackId = id;
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int OnLifecycle(nint connection, nint domain, int kind, int detail, nint opaque)
    {
        // An exception must never unwind into libvirt's C frames.
        try
        {
            var subscription = (LifecycleSubscription)GCHandle.FromIntPtr(opaque).Target!;
            // The domain is borrowed for the duration of the call: copy what we need now.
            // Its UUID and name are held by the object itself, so they read even when the
            // guest is already gone (a transient guest that stopped).
            byte* uuid = stackalloc byte[Interop.Libvirt.UuidStringBufferLength];
            // SAFETY: a buffer of VIR_UUID_STRING_BUFLEN bytes, as libvirt requires.
            if (Interop.Libvirt.DomainGetUUIDString(domain, uuid) < 0)
            {
                return 0;
            }

            string name = Marshal.PtrToStringUTF8(Interop.Libvirt.DomainGetName(domain)) ?? "";
            subscription.Sink.TryWrite(new LifecycleEvent(
                subscription.Host.Uri, Marshal.PtrToStringUTF8((nint)uuid)!, name, (LifecycleEventKind)kind, detail));
        }
        catch (Exception)
        {
            // Dropping one event is survivable: the executor re-reads states on its deadlines.
        }

        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnFree(nint opaque) => GCHandle.FromIntPtr(opaque).Free();

    /// <summary>One registered lifecycle callback; it keeps the event loop running while it lives.</summary>
    private sealed class LifecycleSubscription(LibvirtHost host, ChannelWriter<LifecycleEvent> sink) : IDisposable
    {
        private readonly IDisposable _loop = LibvirtEventLoop.Acquire();
        private int _disposed;

        internal LibvirtHost Host { get; } = host;

        internal ChannelWriter<LifecycleEvent> Sink { get; } = sink;

        internal int CallbackId { get; set; } = -1;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // Deregistering runs OnFree synchronously, which frees the GCHandle. The host
            // disposes its subscriptions before it closes the connection, so this always
            // runs on an open one.
            if (CallbackId >= 0)
            {
                Interop.Libvirt.ConnectDomainEventDeregisterAny(Host._connection, CallbackId);
                lock (Host._subscriptions)
                {
                    Host._subscriptions.Remove(this);
                }
            }

            _loop.Dispose();
        }
    }
}
