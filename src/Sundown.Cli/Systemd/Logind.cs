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
/// stop at shutdown does everything without it, as it did before watch heard logind. Only logind
/// can send the signal that counts: the match names its bus name as the sender, and the bus
/// delivers only what its owner sent. Watch takes no inhibitor of its own: it needs no time
/// before the shutdown job, only the head start that libvirtd's lock already gives.
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
                    using var subscription = await connection.WatchSignalAsync(
                        Service, ObjectPath, Interface, Signal,
                        static (Message message, object? _) => message.GetBodyReader().ReadBool(),
                        (Notification<bool> signal) =>
                        {
                            // A completion is the connection ending: DisconnectedAsync says it.
                            if (signal.HasValue)
                            {
                                announcements.Announce(signal.Value);
                            }
                        },
                        ObserverFlags.None, emitOnCapturedContext: false).AsTask().WaitAsync(s_timeout, cancel);
                    string? missing = await LogindMissingAsync(connection, cancel);
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

    /// <summary>Why logind will not be heard on this bus (its name neither owned nor activatable); null when it is there.</summary>
    private static async Task<string?> LogindMissingAsync(DBusConnection connection, CancellationToken cancel)
    {
        try
        {
            string[] names = await connection.ListServicesAsync().WaitAsync(s_timeout, cancel);
            if (names.Contains(Service, StringComparer.Ordinal))
            {
                return null;
            }

            string[] activatable = await connection.ListActivatableServicesAsync().WaitAsync(s_timeout, cancel);
            return activatable.Contains(Service, StringComparer.Ordinal) ? null : $"no logind ({Service}) is on it";
        }
        catch (Exception e) when (e is DBusExceptionBase or TimeoutException)
        {
            return $"the bus did not list its names ({e.Message})";
        }
    }
}
