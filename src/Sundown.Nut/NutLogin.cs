using Sundown.Core.Ups;

namespace Sundown.Nut;

/// <summary>
/// A login on the UPS at upsd held for as long as this lives, as a secondary's upsmon holds its
/// own: <c>USERNAME</c>, <c>PASSWORD</c>, <c>LOGIN UPS</c>, then a <c>GET VAR UPS ups.status</c>
/// every <see cref="KeepAlive"/> on the same connection (what upsmon does each POLLFREQ; it also
/// finds a connection that upsd or the network dropped). upsd counts the login in NUMLOGINS until
/// the connection logs out or closes; a primary's upsmon, once it has set FSD, waits up to
/// HOSTSYNC for NUMLOGINS to fall to its own. A secondary's upsmon logs out the moment its
/// SHUTDOWNCMD starts; <c>sundown watch</c> holds this one until that host's guests are safe,
/// and the stop at shutdown one of its own while it runs.
/// A lost login is tried again every <see cref="KeepAlive"/>; it never throws.
/// </summary>
public sealed class NutLogin : IAsyncDisposable
{
    /// <summary>upsmon's POLLFREQ default: upsd never takes such a client for idle.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(5);

    private readonly UpsName _name;
    private readonly UpsCredentials _credentials;
    private readonly TimeSpan _timeout;
    private readonly Action<WatchEvent> _say;
    private readonly CancellationTokenSource _end = new();
    private readonly Task _holding;
    private readonly Lock _stateLock = new();
    private string _state = "logging in";

    private NutLogin(UpsName name, UpsCredentials credentials, TimeSpan timeout, Action<WatchEvent> say)
    {
        _name = name;
        _credentials = credentials;
        _timeout = timeout;
        _say = say;
        _holding = Task.Run(() => HoldAsync(_end.Token));
    }

    /// <summary>Begins to hold the login; what happens to it is said through <paramref name="say"/>.</summary>
    /// <param name="timeout">Each exchange's limit, the connect included.</param>
    public static NutLogin Hold(UpsName name, UpsCredentials credentials, TimeSpan timeout, Action<WatchEvent> say) =>
        new(name, credentials, timeout, say);

    /// <summary>What the login is now, for <c>watch --status</c>: "held as USER since …", or why not.</summary>
    public string State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }

        private set
        {
            lock (_stateLock)
            {
                _state = value;
            }
        }
    }

    private async Task HoldAsync(CancellationToken end)
    {
        // What was last said: an error is said again only when its reason changes, the login
        // only when it was lost and said so (a connection that flaps says nothing new).
        string? lastError = null;
        bool heldSaid = false;
        while (!end.IsCancellationRequested)
        {
            NutClient? client = null;
            try
            {
                client = await NutClient.ConnectAsync(_name.Host, _name.Port, _timeout, end);
                await client.AuthenticateAsync(_credentials, end);
                await client.LoginAsync(_name.Ups, end);
                string held = $"held as {_credentials.User} since {DateTimeOffset.UtcNow:HH:mm:ss} UTC";
                State = held;
                if (!heldSaid)
                {
                    Say(
                        lastError is null ? WatchSeverity.Info : WatchSeverity.Notice,
                        $"logged in to the UPS {_name} as {_credentials.User}{(lastError is null ? "" : " again")}: the primary's upsmon waits for this login (NUMLOGINS) before it powers the UPS off; it is held until this host's guests are safe");
                    heldSaid = true;
                }

                while (true)
                {
                    await Task.Delay(KeepAlive, end);
                    try
                    {
                        await client.GetVarAsync(_name.Ups, "ups.status", end);
                        State = held;
                        lastError = null;
                    }
                    catch (UpsException e) when (e.Kind == UpsErrorKind.Refused)
                    {
                        // upsd answered (DATA-STALE, DRIVER-NOT-CONNECTED): the connection, and
                        // with it the login, holds; only what the UPS says is missing.
                        State = $"{held}; upsd answers its keep-alive with {e.Code}";
                    }
                }
            }
            catch (OperationCanceledException) when (end.IsCancellationRequested)
            {
                if (client is not null)
                {
                    // LOGOUT: NUMLOGINS falls at once, and the primary need not wait out HOSTSYNC.
                    await client.DisposeAsync();
                    client = null;
                }

                State = "logged out";
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // upsd's refusal, or whatever the connection did: tried again, never thrown.
                State = $"not held: {e.Message}";
                if (e.Message != lastError)
                {
                    Say(WatchSeverity.Error, $"cannot hold a login on the UPS {_name} as {_credentials.User}: {e.Message}; the primary will not wait for this host's guests while it is lost; trying again every {KeepAlive.TotalSeconds:0} s, continuing");
                    heldSaid = false;
                }

                lastError = e.Message;
            }
            finally
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }

            try
            {
                await Task.Delay(KeepAlive, end);
            }
            catch (OperationCanceledException)
            {
                State = "logged out";
                return;
            }
        }
    }

    /// <summary>Tells the caller; a log that fails is not the login's failure.</summary>
    private void Say(WatchSeverity severity, string message)
    {
        try
        {
            _say(new WatchEvent(severity, message));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nowhere left to say it.
        }
    }

    /// <summary>Logs out (held to the exchange's timeout) and closes: from now on the primary no longer waits for this host.</summary>
    public async ValueTask DisposeAsync()
    {
        await _end.CancelAsync();
        try
        {
            await _holding;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever it was, the login ends with the connection: a stop that is done stays done.
            Say(WatchSeverity.Warning, $"the login on the UPS {_name} ended badly: {e.Message}");
        }

        _end.Dispose();
        Say(WatchSeverity.Info, $"logged out of the UPS {_name}");
    }
}
