using System.Net;
using System.Net.Sockets;

namespace Sundown.Faults.Tests.Harness;

/// <summary>
/// A TCP listener that accepts every connection and never says a word: a libvirt host that
/// hangs after the connect (a frozen daemon, a half-dead network path). URI <c>qemu+tcp://127.0.0.1:PORT/system</c>.
/// </summary>
internal sealed class SilentPeer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();

    internal SilentPeer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    internal int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    internal string Uri => $"qemu+tcp://127.0.0.1:{Port}/system";

    /// <summary>How many connections it took (the client did reach it).</summary>
    internal int Accepted
    {
        get
        {
            lock (_accepted)
            {
                return _accepted.Count;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            _accepted.ForEach(s => s.Dispose());
        }

        _stop.Dispose();
    }
}
