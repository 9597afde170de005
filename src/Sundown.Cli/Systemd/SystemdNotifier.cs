using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sundown.Cli.Rendering;
using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;

namespace Sundown.Cli.Systemd;

/// <summary>
/// Tells systemd how a stop under it is going, with sd_notify(3)'s protocol (datagrams to the
/// AF_UNIX socket named by <c>$NOTIFY_SOCKET</c>): <c>STOPPING=1</c> at the start,
/// and every interval <c>STATUS=</c> with the guests still up and <c>EXTEND_TIMEOUT_USEC=</c>, so
/// systemd's stop timer cannot fire while the stop is within its plan — yet never past the
/// plan's deadline plus the margin, so a stuck stop is still killed.
/// </summary>
/// <remarks>
/// Best effort: a notification that cannot be sent is dropped; the stop itself never depends on it.
/// systemd accepts these from ExecStop= only with <c>NotifyAccess=exec</c> (or <c>all</c>), from
/// watch (a Type=simple unit's main process) with <c>NotifyAccess=main</c>.
/// Watch sends no <c>STOPPING=1</c>: from the main process of a running unit, systemd takes it for
/// "the service is stopping by itself" and would stop the unit (service.c,
/// <c>service_enter_stop_by_notify</c>). Its extensions count only once systemd stops the unit
/// (while the unit runs there is no timer to extend), which is what they are for: a SIGTERM that
/// arrives while watch's stop runs.
/// </remarks>
internal sealed class SystemdNotifier : IStopObserver, IDisposable
{
    internal const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>Overrides the interval, in milliseconds; for tests, which cannot make a stop slow.</summary>
    internal const string IntervalVariable = "SUNDOWN_NOTIFY_INTERVAL_MS";

    internal static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after <see cref="Begin"/> the stop keeps the timer from firing before it has a plan:
    /// twice the 79 s its phases before the plan may take at worst (<see cref="UnitFile.StopTimeout"/>),
    /// with room, because the stop at shutdown tries once more after a failure.
    /// </summary>
    internal static readonly TimeSpan BeforePlanLimit = TimeSpan.FromMinutes(3);

    private readonly Lock _lock = new();
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _margin;
    private readonly bool _announceStopping;
    private readonly HashSet<string> _up = [];
    private ITimer? _ticker;
    private DateTimeOffset _start;
    private DateTimeOffset? _deadline;
    private DateTimeOffset _limit;
    private int _total;
    private bool _planned;
    private bool _disposed;

    /// <param name="address">A path, or '@' and a name in the abstract namespace, as in <c>$NOTIFY_SOCKET</c>.</param>
    /// <param name="margin">How long after the plan's deadline the stop may still need: the unit's margin.</param>
    /// <param name="announceStopping">Send STOPPING=1 with the plan: for ExecStop=, never for watch.</param>
    internal SystemdNotifier(string address, TimeProvider time, TimeSpan interval, TimeSpan margin, bool announceStopping = true)
    {
        _announceStopping = announceStopping;
        // An abstract socket's name begins with a NUL byte, which sd_notify spells '@'.
        _endPoint = new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address);
        // Never block a stop on a full queue: a notification that does not fit is dropped.
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
        _time = time;
        _interval = interval;
        _margin = margin;
    }

    /// <summary>The notifier for this process, or null when no service manager listens.</summary>
    internal static SystemdNotifier? FromEnvironment(TimeProvider time, TimeSpan margin, bool announceStopping = true)
    {
        string? address = Environment.GetEnvironmentVariable(SocketVariable);
        // Only paths and abstract names: systemd 254+ may also name a vsock, which this does not speak.
        if (string.IsNullOrEmpty(address) || (address[0] != '/' && address[0] != '@'))
        {
            return null;
        }

        var interval = int.TryParse(Environment.GetEnvironmentVariable(IntervalVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : DefaultInterval;
        try
        {
            return new SystemdNotifier(address, time, interval, margin, announceStopping);
        }
        catch (Exception e) when (e is ArgumentException or SocketException)
        {
            // A path longer than sun_path: nobody can be reached there.
            return null;
        }
    }

    /// <summary>How much each EXTEND_TIMEOUT_USEC= asks for: two intervals, so one late tick does not let the timer fire.</summary>
    internal TimeSpan Extension => _interval * 2;

    /// <summary>
    /// The stop has begun and has no plan yet: from now until <see cref="BeforePlanLimit"/>, every
    /// interval extends systemd's timer, so neither a slow phase before the plan nor the second
    /// try after a failure can be killed by the unit's static TimeoutStopSec=.
    /// </summary>
    internal void Begin()
    {
        lock (_lock)
        {
            _start = _time.GetUtcNow();
            _limit = _start + BeforePlanLimit;
            _planned = false;
            Send($"{Extend(whole: true)}STATUS={Status()}");
            StartTicking();
        }
    }

    /// <summary>
    /// Before the plan, keeps the timer from firing for at least <paramref name="span"/> after
    /// <see cref="Begin"/>: the stop at shutdown may first wait that long for the stop under way
    /// (sundown watch's) to end, up to its budget.
    /// </summary>
    internal void AllowBeforePlan(TimeSpan span)
    {
        lock (_lock)
        {
            if (!_planned && _start + span > _limit)
            {
                _limit = _start + span;
            }
        }
    }

    public void Planned(Plan plan, DateTimeOffset runStart)
    {
        lock (_lock)
        {
            _up.Clear();
            _planned = true;
            _start = runStart;
            _deadline = plan.Budget is { } budget ? runStart + budget : null;
            // Without a budget the plan's worst case is the deadline: every ladder's timeouts are finite.
            _limit = runStart + (plan.Budget ?? plan.WorstCaseEnd) + _margin;
            _total = plan.Guests.Count();
            foreach (var guest in plan.Guests)
            {
                _up.Add(guest.Guest.Uuid);
            }

            Send($"{(_announceStopping ? "STOPPING=1\n" : "")}{Extend(whole: true)}STATUS={Status()}");
            StartTicking();
        }
    }

    /// <summary>A new ticker from now on; a stop tried again, or watch's next stop, plans anew.</summary>
    private void StartTicking()
    {
        _ticker?.Dispose();
        _ticker = _time.CreateTimer(_ => Tick(), null, _interval, _interval);
    }

    public void Progress(StopProgress progress)
    {
        if (progress.Outcome is null)
        {
            return;
        }

        // Counted only: the next tick reports it. A datagram per guest would flood the
        // manager's queue on a large host, and a full queue drops the next EXTEND_TIMEOUT_USEC=.
        lock (_lock)
        {
            _up.Remove(progress.Uuid);
        }
    }

    /// <summary>The console reports faults (at priority err); systemd's status line keeps counting guests.</summary>
    public void Fault(Fault fault)
    {
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _ticker?.Dispose();
            _ticker = null;
            _socket.Dispose();
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            string extend = Extend();
            Send($"{extend}STATUS={Status()}");
            if (extend.Length == 0)
            {
                // The limit is reached: systemd's timer decides from here. Watch lives on after its
                // stop, and must not repeat a stale status every interval for the rest of its life.
                _ticker?.Dispose();
                _ticker = null;
            }
        }
    }

    /// <summary>
    /// The EXTEND_TIMEOUT_USEC= line, capped at the limit; empty once the limit is reached.
    /// <paramref name="whole"/>: up to the limit at once, as the first line of a phase asks. systemd
    /// only ever moves its timer later (service.c, service_extend_event_source_timeout), so that one
    /// line already holds the timer off until the limit, as TimeoutStopSec= = budget + margin did:
    /// a stop whose ticks come late (a thread pool starved by blocked libvirt calls) or are dropped
    /// is not killed before then. The ticks after it ask for two intervals each.
    /// </summary>
    private string Extend(bool whole = false)
    {
        var extension = _limit - _time.GetUtcNow();
        if (!whole && extension > Extension)
        {
            extension = Extension;
        }

        long microseconds = extension.Ticks / TimeSpan.TicksPerMicrosecond;
        return microseconds > 0 ? $"EXTEND_TIMEOUT_USEC={microseconds.ToString(CultureInfo.InvariantCulture)}\n" : "";
    }

    private string Status()
    {
        if (!_planned)
        {
            return "stopping guests: reading the config, the UPS and the hosts";
        }

        var elapsed = _time.GetUtcNow() - _start;
        string deadline = _deadline is { } d ? $", {Seconds.Format(d - _time.GetUtcNow())} to the deadline" : "";
        return $"stopping guests: {_up.Count} of {_total} still up, {Seconds.Format(elapsed)} elapsed{deadline}";
    }

    private void Send(string message)
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _endPoint);
        }
        catch (SocketException)
        {
            // Nobody listening (any more), or the manager is busy: the stop goes on regardless.
        }
    }
}
