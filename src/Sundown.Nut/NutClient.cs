using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using Sundown.Core.Ups;

namespace Sundown.Nut;

/// <summary>
/// One connection to upsd, speaking NUT's network protocol: a request line, a reply line (or a
/// <c>BEGIN LIST</c> … <c>END LIST</c> block). Reading variables needs no login. Every exchange,
/// the connect included, is held to <see cref="Timeout"/>: a upsd that never answers costs a
/// caller that long, never more. A reply line longer than <see cref="MaxLine"/> or a list longer
/// than <see cref="MaxListLines"/> is garbage (a peer that is not upsd must not fill the memory).
/// </summary>
public sealed class NutClient : IAsyncDisposable
{
    /// <summary>upsd's own lines are at most a few hundred bytes (NUT's LARGEBUF is 4096).</summary>
    internal const int MaxLine = 8192;

    /// <summary>A UPS has some dozens of variables; the biggest drivers serve a few hundred.</summary>
    internal const int MaxListLines = 4096;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    private readonly string _peer;

    private NutClient(TcpClient tcp, string peer, TimeSpan timeout)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _peer = peer;
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    /// <exception cref="UpsException">Unreachable, or no connection within <paramref name="timeout"/>.</exception>
    public static async Task<NutClient> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellation)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(host, port, deadline.Token);
            return new NutClient(tcp, $"{host}:{port}", timeout);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new UpsException(UpsErrorKind.Timeout, $"upsd at {host}:{port} did not accept a connection in {timeout.TotalSeconds:0.#}s");
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new UpsException(UpsErrorKind.Unreachable, $"cannot connect to upsd at {host}:{port}: {e.Message} (is upsd running, and does upsd.conf LISTEN there?)", inner: e);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary><c>GET VAR UPS NAME</c>: the variable's value.</summary>
    /// <exception cref="UpsException">upsd answered ERR (e.g. VAR-NOT-SUPPORTED, DATA-STALE), garbage, or nothing in time.</exception>
    public async Task<string> GetVarAsync(string ups, string name, CancellationToken cancellation)
    {
        string request = $"GET VAR {ups} {name}";
        var words = await ExchangeAsync(request, cancellation);
        // VAR <ups> <name> "<value>"
        return words is ["VAR", var u, var n, var value] && u == ups && n == name
            ? value
            : throw Garbage(string.Join(' ', words), $"expected VAR {ups} {name} \"…\" in answer to {request}");
    }

    /// <summary><c>LIST VAR UPS</c>: every variable upsd serves for the UPS, in one exchange.</summary>
    /// <exception cref="UpsException">upsd answered ERR (e.g. UNKNOWN-UPS, DRIVER-NOT-CONNECTED), garbage, or nothing in time.</exception>
    public async Task<ImmutableDictionary<string, string>> ListVarAsync(string ups, CancellationToken cancellation)
    {
        using var deadline = Deadline(cancellation);
        try
        {
            string request = $"LIST VAR {ups}";
            await SendAsync(request, deadline.Token);
            var first = await ReadWordsAsync(request, deadline.Token);
            if (first is not ["BEGIN", "LIST", "VAR", var begun] || begun != ups)
            {
                throw Garbage(string.Join(' ', first), $"expected BEGIN LIST VAR {ups} in answer to {request}");
            }

            var variables = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            for (int lines = 0; lines < MaxListLines; lines++)
            {
                switch (await ReadWordsAsync(request, deadline.Token))
                {
                    case ["VAR", var u, var name, var value] when u == ups:
                        variables[name] = value;
                        break;
                    case ["END", "LIST", "VAR", var ended] when ended == ups:
                        return variables.ToImmutable();
                    case var other:
                        throw Garbage(string.Join(' ', other), $"expected VAR {ups} NAME \"VALUE\" or END LIST VAR {ups}");
                }
            }

            throw new UpsException(UpsErrorKind.Garbage, $"the list of {ups}'s variables from {_peer} did not end after {MaxListLines} lines: not upsd, or not NUT's protocol");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw TimedOut($"LIST VAR {ups}");
        }
    }

    /// <summary>
    /// <c>USERNAME</c> and <c>PASSWORD</c>: who this connection is, for the commands that need it
    /// (LOGIN, FSD). upsd checks the password only when such a command comes.
    /// </summary>
    /// <exception cref="UpsException">upsd answered ERR, garbage, or nothing in time.</exception>
    public async Task AuthenticateAsync(UpsCredentials credentials, CancellationToken cancellation)
    {
        await ExpectOkAsync($"USERNAME {NutLine.Quote(credentials.User)}", "USERNAME", cancellation);
        await ExpectOkAsync($"PASSWORD {NutLine.Quote(credentials.Password)}", "PASSWORD", cancellation);
    }

    /// <summary>
    /// <c>LOGIN UPS</c>: this connection counts in the UPS's NUMLOGINS until it logs out or closes,
    /// as each upsmon's does; a primary's upsmon waits (HOSTSYNC) for them before it powers off.
    /// </summary>
    /// <exception cref="UpsException">upsd answered ERR (ACCESS-DENIED: a wrong password or a user upsd.users does not allow), garbage, or nothing in time.</exception>
    public Task LoginAsync(string ups, CancellationToken cancellation) => ExpectOkAsync($"LOGIN {ups}", $"LOGIN {ups}", cancellation);

    /// <summary>
    /// <c>FSD UPS</c>: the forced-shutdown flag, which every upsmon of the UPS acts on as on low
    /// battery: its secondaries shut their hosts down, its primary waits for them and then itself.
    /// </summary>
    /// <exception cref="UpsException">upsd answered ERR (ACCESS-DENIED: the user may not set FSD), garbage, or nothing in time.</exception>
    public async Task SetForcedShutdownAsync(string ups, CancellationToken cancellation)
    {
        string request = $"FSD {ups}";
        var words = await ExchangeAsync(request, cancellation);
        if (words is not ["OK", ..])
        {
            throw Garbage(string.Join(' ', words), $"expected OK FSD-SET in answer to FSD {ups}");
        }
    }

    /// <summary><c>GET NUMLOGINS UPS</c>: how many connections are logged in to the UPS (each upsmon's, each sundown watch's).</summary>
    /// <exception cref="UpsException">upsd answered ERR (DATA-STALE, DRIVER-NOT-CONNECTED: it counts only a UPS it serves), garbage, or nothing in time.</exception>
    public async Task<int> NumLoginsAsync(string ups, CancellationToken cancellation)
    {
        string request = $"GET NUMLOGINS {ups}";
        var words = await ExchangeAsync(request, cancellation);
        return words is ["NUMLOGINS", var u, var count] && u == ups && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n
            : throw Garbage(string.Join(' ', words), $"expected NUMLOGINS {ups} N in answer to {request}");
    }

    private async Task ExpectOkAsync(string request, string shown, CancellationToken cancellation)
    {
        var words = await ExchangeAsync(request, cancellation, shown);
        if (words is not ["OK", ..])
        {
            throw Garbage(string.Join(' ', words), $"expected OK in answer to {shown}");
        }
    }

    /// <summary><c>LOGOUT</c>, then the connection is closed; its failures are of no interest (the reading is done).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var deadline = Deadline(CancellationToken.None);
            await SendAsync("LOGOUT", deadline.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or UpsException)
        {
            // Closing anyway.
        }

        _tcp.Dispose();
    }

    /// <param name="shown">The request as messages may quote it (a PASSWORD line is never shown whole).</param>
    private async Task<ImmutableArray<string>> ExchangeAsync(string request, CancellationToken cancellation, string? shown = null)
    {
        using var deadline = Deadline(cancellation);
        try
        {
            await SendAsync(request, deadline.Token);
            return await ReadWordsAsync(shown ?? request, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw TimedOut(shown ?? request);
        }
    }

    private CancellationTokenSource Deadline(CancellationToken cancellation)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(Timeout);
        return deadline;
    }

    private UpsException TimedOut(string request) =>
        new(UpsErrorKind.Timeout, $"upsd at {_peer} did not answer '{request}' in {Timeout.TotalSeconds:0.#}s");

    private UpsException Garbage(string line, string problem) => FromPeer(NutLine.Garbage(line, problem));

    private UpsException FromPeer(UpsException garbage) => new(UpsErrorKind.Garbage, $"the answer from {_peer} is {garbage.Message}");

    private UpsException Lost(IOException e) =>
        new(UpsErrorKind.Unreachable, $"the connection to upsd at {_peer} was lost: {e.Message}", inner: e);

    /// <summary>What an ERR reply means and what to do about it (NUT's docs/net-protocol.txt, "Error responses").</summary>
    private static string Meaning(string code) => code switch
    {
        "UNKNOWN-UPS" => "upsd serves no UPS of that name (upsc -l HOST lists the names it serves; ups.conf defines them)",
        "DRIVER-NOT-CONNECTED" => "upsd has no running driver for the UPS (start it: upsdrvctl start, or the nut-driver unit)",
        "DATA-STALE" => "the driver has not refreshed the UPS's data within upsd's MAXAGE (the driver hangs, or lost the UPS: check its cable and the driver's log)",
        "VAR-NOT-SUPPORTED" => "the UPS does not have this variable (or its driver has only just started)",
        "ACCESS-DENIED" => "upsd refuses this client: a wrong password, a user upsd.users does not allow this, or upsd.conf's LISTEN",
        "USERNAME-REQUIRED" or "PASSWORD-REQUIRED" => "upsd needs the user and password of upsd.users first ([ups] user and password)",
        "ALREADY-LOGGED-IN" => "this connection is logged in to the UPS already",
        _ => "see NUT's docs/net-protocol.txt",
    };

    private async Task SendAsync(string line, CancellationToken cancellation)
    {
        try
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"), cancellation);
        }
        catch (IOException e)
        {
            throw Lost(e);
        }
    }

    /// <summary>The next reply line, split; an <c>ERR</c> reply is thrown as <see cref="UpsErrorKind.Refused"/>.</summary>
    private async Task<ImmutableArray<string>> ReadWordsAsync(string request, CancellationToken cancellation)
    {
        string line = await ReadLineAsync(cancellation);
        ImmutableArray<string> words;
        try
        {
            words = NutLine.Split(line);
        }
        catch (UpsException e) when (e.Kind == UpsErrorKind.Garbage)
        {
            throw FromPeer(e);
        }

        if (words is ["ERR", var code, ..])
        {
            throw new UpsException(UpsErrorKind.Refused, $"upsd at {_peer} answered ERR {code} to {request}: {Meaning(code)}", code);
        }

        return words;
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                int read;
                try
                {
                    read = await _stream.ReadAsync(_buffer, cancellation);
                }
                catch (IOException e)
                {
                    throw Lost(e);
                }

                if (read == 0)
                {
                    throw new UpsException(UpsErrorKind.Unreachable, $"upsd at {_peer} closed the connection before it answered (upsd.conf's LISTEN, or tcp-wrappers, may refuse this host)");
                }

                _start = 0;
                _end = read;
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (newline < 0 ? _end : newline) - _start;
            if (line.Count + take > MaxLine)
            {
                throw new UpsException(UpsErrorKind.Garbage, $"a reply line from {_peer} is longer than {MaxLine} bytes: not upsd, or not NUT's protocol");
            }

            line.AddRange(_buffer.AsSpan(_start, take));
            _start += take;
            if (newline >= 0)
            {
                _start++;
                // NUT's lines are ASCII; UTF-8 keeps what a driver may put in a description.
                return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            }
        }
    }
}
