using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sundown.Nut.Tests;

/// <summary>
/// A TCP server of the test's own on loopback that plays a upsd gone wrong: each connection is
/// handed, after its first request line, to the test's behaviour (send garbage, never answer,
/// close). Disposed, it stops listening and drops its connections.
/// </summary>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="behave">Given the connection's stream and its first request line (null when the client sent none).</param>
    private HostilePeer(Func<NetworkStream, string?, CancellationToken, Task> behave, bool readRequest)
    {
        _listener.Start();
        _accepting = AcceptAsync(behave, readRequest);
    }

    internal int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A UPS named <paramref name="ups"/> at this peer, as the config writes it.</summary>
    internal string Name(string ups = "sundown") => $"{ups}@127.0.0.1:{Port}";

    /// <summary>A peer that reads the request line, then runs <paramref name="behave"/>.</summary>
    internal static HostilePeer Start(Func<NetworkStream, string?, CancellationToken, Task> behave) => new(behave, readRequest: true);

    /// <summary>A peer that answers every request with these bytes, then keeps the connection open.</summary>
    internal static HostilePeer Sending(byte[] answer) =>
        Start(async (stream, _, cancellation) =>
        {
            await stream.WriteAsync(answer, cancellation);
            await Task.Delay(Timeout.Infinite, cancellation);
        });

    internal static HostilePeer Sending(string answer) => Sending(Encoding.UTF8.GetBytes(answer));

    /// <summary>A peer that accepts, then never sends a byte.</summary>
    internal static HostilePeer Silent() => Start((_, _, cancellation) => Task.Delay(Timeout.Infinite, cancellation));

    /// <summary>A peer that closes each connection as soon as it is accepted, before reading anything.</summary>
    internal static HostilePeer Closing() => new((_, _, _) => Task.CompletedTask, readRequest: false);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(Func<NetworkStream, string?, CancellationToken, Task> behave, bool readRequest)
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client, behave, readRequest));
            }
        }
        finally
        {
            await Task.WhenAll(connections);
        }
    }

    private async Task ServeAsync(TcpClient client, Func<NetworkStream, string?, CancellationToken, Task> behave, bool readRequest)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                string? request = readRequest ? await ReadLineAsync(stream, _stop.Token) : null;
                await behave(stream, request, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The client left, or the peer was stopped.
            }
        }
    }

    private static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellation) == 1)
        {
            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString([.. line]);
            }

            line.Add(one[0]);
        }

        return null;
    }
}
