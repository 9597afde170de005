using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sundown.Libvirt;

/// <summary>
/// The one thread that runs libvirt's default event loop, on which libvirt delivers domain
/// events (and, for remote connections, keepalives). It runs while at least one lease is
/// held and stops, joined, when the last lease is released.
/// </summary>
/// <remarks>
/// <c>virEventRunDefaultImpl</c> blocks in poll() while nothing is pending, so a stop flag
/// alone would never be seen: stopping also adds a zero-interval timer, which wakes the loop
/// at once (libvirt-facts.md §2).
/// </remarks>
public static class LibvirtEventLoop
{
    private static readonly Lock s_lock = new();
    private static int s_leases;
    private static Thread? s_thread;
    private static volatile bool s_stopRequested;

    /// <summary>True while the loop thread is alive.</summary>
    public static bool IsRunning
    {
        get
        {
            lock (s_lock)
            {
                return s_thread is { IsAlive: true };
            }
        }
    }

    /// <summary>Keeps the loop running until the returned lease is disposed.</summary>
    public static IDisposable Acquire()
    {
        LibvirtRuntime.EnsureInitialized();
        lock (s_lock)
        {
            if (s_leases++ == 0)
            {
                s_stopRequested = false;
                s_thread = new Thread(Run) { IsBackground = true, Name = "libvirt-event-loop" };
                s_thread.Start();
            }
        }

        return new Lease();
    }

    private static void Release()
    {
        lock (s_lock)
        {
            if (--s_leases > 0)
            {
                return;
            }

            s_stopRequested = true;
            Wake();
            // Joined under the lock so that a new lease cannot start a second loop thread
            // while this one is still inside virEventRunDefaultImpl.
            s_thread?.Join();
            s_thread = null;
        }
    }

    private static void Run()
    {
        while (!s_stopRequested)
        {
            if (Interop.Libvirt.EventRunDefaultImpl() < 0)
            {
                // Only fails on a broken poll(); don't spin on it.
                Thread.Sleep(100);
            }
        }
    }

    private static unsafe void Wake()
    {
        // SAFETY: a static UnmanagedCallersOnly function; no opaque data, nothing to free.
        if (Interop.Libvirt.EventAddTimeout(0, &OnWakeTimer, 0, 0) < 0)
        {
            throw LibvirtException.FromLastError("waking libvirt's event loop");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnWakeTimer(int timer, nint opaque) => Interop.Libvirt.EventRemoveTimeout(timer);

    private sealed class Lease : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Release();
            }
        }
    }
}
