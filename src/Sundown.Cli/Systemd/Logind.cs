using Sundown.Core.Ups;
using Sundown.Engine.Watching;
using Tmds.DBus.Protocol;

namespace Sundown.Cli.Systemd;

/// <summary>
/// Follows systemd-logind on the system bus for <c>sundown watch</c>: its
/// <c>PrepareForShutdown(b)</c> signal on <c>org.freedesktop.login1.Manager</c>, sent the moment a
/// poweroff or reboot is requested (true), before logind waits out the delay inhibitors (libvirtd
/// holds one while guests run: <c>InhibitDelayMaxSec=</c>, 5 s), and when such a shutdown did not
/// happen after all (false). What it hears goes to <see cref="ShutdownAnnouncements"/>.
/// </summary>
/// <remarks>
/// Best effort, and never in the way: no system bus, no logind, a bus that hangs or goes away
/// is said once and tried again every <see cref="s_retry"/>; sundown.service's own
/// stop at shutdown does everything without it, as it did before watch heard logind. Only logind's
/// own signal counts: the match names its bus name as the sender, but the system bus lets any
/// local user send a signal straight to watch, so each one's sender is checked against the
/// name's owner (asked again when it differs: logind restarted) and a forged one is ignored and
/// said. Watch takes no inhibitor of its own: it needs no time before the shutdown job, only the
/// head start that libvirtd's lock already gives.
/// </remarks>
internal static class Logind
{
    private const string Service = "org.freedesktop.login1";
    private const string ObjectPath = "/org/freedesktop/login1";
    private const string Interface = "org.freedesktop.login1.Manager";
    private const string Signal = "PrepareForShutdown";

    /// <summary>How long the connect and the subscription may take, each: a bus that hangs must not hold watch.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(30);

    /// <summary>Follows logind until <paramref name="cancel"/>; never throws but for that.</summary>
    /// <param name="log">Told of the connection's changes: followed, lost, unreachable.</param>
    internal static async Task FollowAsync(ShutdownAnnouncements announcements, Action<WatchSeverity, string> log, CancellationToken cancel)
    {
        bool saidUnreachable = false;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                string? lost = null;
                try
                {
                    using var connection = new DBusConnection(DBusAddress.System ?? throw new InvalidOperationException("no system bus address"));
                    await connection.ConnectAsync().AsTask().WaitAsync(s_timeout, cancel);
                    var owner = new LogindOwner(await NameOwnerAsync(connection, cancel));
                    using var subscription = await connection.WatchSignalAsync(
                        Service, ObjectPath, Interface, Signal,
                        static (Message message, object? _) => (message.SenderAsString ?? "", message.GetBodyReader().ReadBool()),
                        (Notification<(string Sender, bool Requested)> signal) =>
                        {
                            // A completion is the connection ending: DisconnectedAsync says it.
                            if (!signal.HasValue)
                            {
                                return;
                            }

                            var (sender, requested) = signal.Value;
                            if (owner.Is(sender))
                            {
                                announcements.Announce(requested);
                                return;
                            }

                            // Not the owner known: logind restarted, or someone else sent it.
                            _ = Task.Run(async () =>
                            {
                                string? now = await NameOwnerAsync(connection, cancel);
                                if (now == sender)
                                {
                                    owner.Set(now);
                                    announcements.Announce(requested);
                                }
                                else
                                {
                                    log(WatchSeverity.Warning, $"ignored a PrepareForShutdown({(requested ? "true" : "false")}) from {sender}, which is not logind ({Service} is {now ?? "not owned"})");
                                }
                            }, CancellationToken.None);
                        },
                        ObserverFlags.None, emitOnCapturedContext: false).AsTask().WaitAsync(s_timeout, cancel);
                    string? missing = await LogindMissingAsync(connection, owner, cancel);
                    announcements.Following(missing);
                    log(missing is null ? (saidUnreachable ? WatchSeverity.Notice : WatchSeverity.Info) : WatchSeverity.Warning, missing is null
                        ? "following logind on the system bus: a poweroff or reboot requested begins the guests' stop at once"
                        : $"subscribed on the system bus, but {missing}: the guests' stop begins when systemd stops sundown.service");
                    saidUnreachable = false;
                    var reason = await connection.DisconnectedAsync().WaitAsync(cancel);
                    lost = reason?.Message ?? "closed";
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    string why = e is TimeoutException ? $"no answer within {s_timeout.TotalSeconds:0}s" : e.Message;
                    announcements.Following($"the system bus cannot be reached ({why})");
                    if (!saidUnreachable)
                    {
                        log(WatchSeverity.Warning, $"cannot follow logind on the system bus ({why}): the guests' stop begins when systemd stops sundown.service, as without watch; trying again every {s_retry.TotalSeconds:0}s");
                        saidUnreachable = true;
                    }
                }

                if (lost is not null)
                {
                    announcements.Following($"the system bus went away ({lost})");
                    log(WatchSeverity.Warning, $"lost the system bus ({lost}); trying again every {s_retry.TotalSeconds:0}s");
                    saidUnreachable = true;
                }

                await Task.Delay(s_retry, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        finally
        {
            announcements.Complete();
        }
    }

    /// <summary>The unique name that owns logind's bus name now; null when nobody does or the bus does not answer in time.</summary>
    private static async Task<string?> NameOwnerAsync(DBusConnection connection, CancellationToken cancel)
    {
        try
        {
            return await connection.CallMethodAsync(GetNameOwner(connection), static (Message message, object? _) => message.GetBodyReader().ReadString())
                .WaitAsync(s_timeout, cancel);
        }
        catch (Exception e) when (e is DBusExceptionBase or TimeoutException)
        {
            // NameHasNoOwner: logind not running yet (it is activated on demand).
            return null;
        }
    }

    private static MessageBuffer GetNameOwner(DBusConnection connection)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", @interface: "org.freedesktop.DBus", member: "GetNameOwner", signature: "s");
        writer.WriteString(Service);
        return writer.CreateMessage();
    }

    /// <summary>logind's unique name as last known, shared by the signal handler and its checks.</summary>
    private sealed class LogindOwner(string? owner)
    {
        private volatile string? _owner = owner;

        internal bool Known => _owner is not null;

        internal bool Is(string sender) => sender.Length > 0 && sender == _owner;

        internal void Set(string owner) => _owner = owner;
    }

    /// <summary>
    /// Why logind will not be heard on this bus: its name neither owned (asked already) nor
    /// activatable; null when it is there.
    /// </summary>
    private static async Task<string?> LogindMissingAsync(DBusConnection connection, LogindOwner owner, CancellationToken cancel)
    {
        if (owner.Known)
        {
            return null;
        }

        try
        {
            string[] activatable = await connection.ListActivatableServicesAsync().WaitAsync(s_timeout, cancel);
            return activatable.Contains(Service, StringComparer.Ordinal) ? null : $"no logind ({Service}) is on it";
        }
        catch (Exception e) when (e is DBusExceptionBase or TimeoutException)
        {
            return $"the bus did not list its names ({e.Message})";
        }
    }
}
