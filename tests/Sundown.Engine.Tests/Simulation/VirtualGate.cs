namespace Sundown.Engine.Tests.Simulation;

/// <summary>
/// Where a simulated call's thread waits for something on virtual time: a save's or a
/// destroy's end, a thaw, a free request slot. Waiting threads are counted, and a thread counts
/// as waiting until its gate opens — taken off the count by whoever opens it, not by the thread
/// when it wakes — so that <see cref="VirtualClock"/> never mistakes a thread just woken for
/// one still waiting, and moves the clock on only once every host call in flight waits on it.
/// </summary>
internal sealed class VirtualGate(bool open = false)
{
    private static int s_waiting;
    private readonly object _lock = new();
    private bool _open = open;
    private int _opened;
    private int _waiters;

    /// <summary>Threads waiting at any gate now, in every test.</summary>
    internal static int Waiting => Volatile.Read(ref s_waiting);

    internal bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    internal void Wait()
    {
        lock (_lock)
        {
            if (_open)
            {
                return;
            }

            int opened = _opened;
            _waiters++;
            Interlocked.Increment(ref s_waiting);
            // Released by an opening, even if the gate closed again before this thread woke.
            while (_opened == opened)
            {
                Monitor.Wait(_lock);
            }
        }
    }

    internal void Open()
    {
        lock (_lock)
        {
            if (_open)
            {
                return;
            }

            _open = true;
            _opened++;
            Interlocked.Add(ref s_waiting, -_waiters);
            _waiters = 0;
            Monitor.PulseAll(_lock);
        }
    }

    internal void Close()
    {
        lock (_lock)
        {
            _open = false;
        }
    }
}
