namespace Sundown.Engine.Tests.Simulation;

/// <summary>A semaphore whose waiters wait at <see cref="VirtualGate"/>s: a freed slot goes to the longest waiter.</summary>
internal sealed class VirtualSlots(int count)
{
    private readonly Lock _lock = new();
    private readonly Queue<VirtualGate> _waiting = new();
    private int _free = count;

    internal void Enter()
    {
        VirtualGate gate;
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return;
            }

            gate = new VirtualGate();
            _waiting.Enqueue(gate);
        }

        gate.Wait();
    }

    internal void Exit()
    {
        VirtualGate? next;
        lock (_lock)
        {
            if (!_waiting.TryDequeue(out next))
            {
                _free++;
            }
        }

        // Handed straight to the next waiter: it holds the slot from now on.
        next?.Open();
    }
}
