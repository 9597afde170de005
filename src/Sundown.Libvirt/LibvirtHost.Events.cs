using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Sundown.Core.Hosts;

namespace Sundown.Libvirt;

public sealed partial class LibvirtHost
{
    // libvirt tracks one lifecycle callback per (connection, function), whatever its opaque:
    // a second registration fails with "event callback already tracked". So the host holds a
    // single registration while it has subscribers and fans each event out to all of them.
    private readonly Lock _eventsLock = new();
    private readonly List<ChannelWriter<LifecycleEvent>> _sinks = [];
    private ChannelWriter<LifecycleEvent>[] _sinksSnapshot = [];
    private EventRegistration? _registration;

    public event Action? Disconnected;

    public IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink)
    {
        lock (_eventsLock)
        {
            _registration ??= EventRegistration.Register(this);
            _sinks.Add(sink);
            _sinksSnapshot = [.. _sinks];
        }

        return new Subscription(this, sink);
    }

    private void Unsubscribe(ChannelWriter<LifecycleEvent> sink)
    {
        lock (_eventsLock)
        {
            if (!_sinks.Remove(sink))
            {
                return;
            }

            _sinksSnapshot = [.. _sinks];
            if (_sinks.Count == 0)
            {
                _registration?.Dispose();
                _registration = null;
            }
        }
    }

    private void UnsubscribeAll()
    {
        lock (_eventsLock)
        {
            _sinks.Clear();
            _sinksSnapshot = [];
            _registration?.Dispose();
            _registration = null;
        }
    }

    private void Publish(LifecycleEvent lifecycleEvent)
    {
        foreach (var sink in _sinksSnapshot)
        {
            sink.TryWrite(lifecycleEvent);
        }
    }

    private sealed class Subscription(LibvirtHost host, ChannelWriter<LifecycleEvent> sink) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                host.Unsubscribe(sink);
            }
        }
    }

    /// <summary>The one native callback registration of a host; it keeps the event loop running while it lives.</summary>
    private sealed class EventRegistration : IDisposable
    {
        private readonly LibvirtHost _host;
        private readonly IDisposable _loop;
        private readonly int _callbackId;
        private readonly bool _closeCallback;

        private EventRegistration(LibvirtHost host, IDisposable loop, int callbackId, bool closeCallback)
        {
            _host = host;
            _loop = loop;
            _callbackId = callbackId;
            _closeCallback = closeCallback;
        }

        internal static unsafe EventRegistration Register(LibvirtHost host)
        {
            var loop = LibvirtEventLoop.Acquire();
            var opaque = GCHandle.Alloc(host, GCHandleType.Weak);
            // SAFETY: the callbacks are static UnmanagedCallersOnly functions; `opaque` is a
            // GCHandle that libvirt hands back to OnLifecycle and frees through OnFree when
            // the callback is deregistered (or here, if registering fails).
            int id = Interop.Libvirt.ConnectDomainEventRegisterAny(
                host._connection, 0, Interop.Libvirt.DomainEventIdLifecycle, &OnLifecycle, GCHandle.ToIntPtr(opaque), &OnFree);
            if (id < 0)
            {
                var error = LibvirtException.FromLastError($"subscribing to guest events on '{host.Uri}'");
                opaque.Free();
                loop.Dispose();
                throw error;
            }

            // The close callback is what tells a waiting executor that libvirtd went away;
            // without it, a restart would only be noticed at the next call. A driver that has
            // none (it fails) just means no early warning.
            var closeOpaque = GCHandle.Alloc(host, GCHandleType.Weak);
            // SAFETY: as above; OnFree frees this second handle when the callback is unregistered.
            bool close = Interop.Libvirt.ConnectRegisterCloseCallback(host._connection, &OnClose, GCHandle.ToIntPtr(closeOpaque), &OnFree) == 0;
            if (!close)
            {
                closeOpaque.Free();
            }

            return new EventRegistration(host, loop, id, close);
        }

        public unsafe void Dispose()
        {
            // Runs OnFree synchronously on this thread, which frees the GCHandle. A
            // registration left in place would keep the connection open for ever.
            Interop.Libvirt.ConnectDomainEventDeregisterAny(_host._connection, _callbackId);
            if (_closeCallback)
            {
                // SAFETY: the same static function that was registered.
                Interop.Libvirt.ConnectUnregisterCloseCallback(_host._connection, &OnClose);
            }

            _loop.Dispose();
        }

        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        private static void OnClose(nint connection, int reason, nint opaque)
        {
            try
            {
                // Never block libvirt's event loop: whoever reconnects does it elsewhere.
                if (GCHandle.FromIntPtr(opaque).Target is LibvirtHost host)
                {
                    ThreadPool.QueueUserWorkItem(_ => host.Disconnected?.Invoke());
                }
            }
            catch (Exception)
            {
                // The next call on the connection reports the loss all the same.
            }
        }

        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        private static unsafe int OnLifecycle(nint connection, nint domain, int kind, int detail, nint opaque)
        {
            // An exception must never unwind into libvirt's C frames.
            try
            {
                if (GCHandle.FromIntPtr(opaque).Target is not LibvirtHost host)
                {
                    return 0;
                }

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
                host.Publish(new LifecycleEvent(host.Uri, Marshal.PtrToStringUTF8((nint)uuid)!, name, (LifecycleEventKind)kind, detail));
            }
            catch (Exception)
            {
                // Dropping one event is survivable: the executor re-reads states on its deadlines.
            }

            return 0;
        }

        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        private static void OnFree(nint opaque) => GCHandle.FromIntPtr(opaque).Free();
    }
}
