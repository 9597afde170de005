using System.Net.Sockets;
using System.Text;

namespace Sundown.Cli.Tests.Systemd;

/// <summary>
/// What systemd would be on the other end of <c>$NOTIFY_SOCKET</c>: a datagram socket whose
/// messages a thread collects as they come (a unix datagram queue holds only a few).
/// </summary>
internal sealed class NotifyListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Lock _lock = new();
    private readonly List<string> _messages = [];
    private readonly Thread _reader;
    private readonly string? _directory;
    private volatile bool _stopped;

    private NotifyListener(string address, string? directory)
    {
        Address = address;
        _directory = directory;
        _socket.Bind(new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address));
        _socket.ReceiveTimeout = 50;
        _reader = new Thread(Read) { IsBackground = true, Name = "notify listener" };
        _reader.Start();
    }

    /// <summary>The value for <c>$NOTIFY_SOCKET</c>.</summary>
    internal string Address { get; }

    internal static NotifyListener AtPath()
    {
        string directory = Directory.CreateTempSubdirectory("sundown-notify-").FullName;
        return new NotifyListener(Path.Combine(directory, "notify"), directory);
    }

    internal static NotifyListener Abstract() => new($"@sundown-test-{Guid.NewGuid():N}", null);

    /// <summary>Every message so far, in order.</summary>
    internal IReadOnlyList<string> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> messages have come (or a few seconds passed) and returns the last.</summary>
    internal string WaitFor(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Messages.Count < count && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        var messages = Messages;
        Assert.True(messages.Count >= count, $"{messages.Count} message(s), expected {count}: {string.Join(" | ", messages)}");
        return messages[count - 1];
    }

    public void Dispose()
    {
        _stopped = true;
        _reader.Join();
        _socket.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private void Read()
    {
        byte[] buffer = new byte[4096];
        while (!_stopped)
        {
            try
            {
                int length = _socket.Receive(buffer);
                lock (_lock)
                {
                    _messages.Add(Encoding.UTF8.GetString(buffer, 0, length));
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                // Look at _stopped again.
            }
        }
    }
}
