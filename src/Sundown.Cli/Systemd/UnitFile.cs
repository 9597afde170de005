using System.Globalization;
using System.Text;
using Sundown.Cli.Rendering;
using Sundown.Core.Config;
using Sundown.Engine.Config;

namespace Sundown.Cli.Systemd;

/// <summary>
/// <c>sundown.service</c> and <c>sundown-watch.service</c>, as text from their inputs alone: which
/// binary, which config (null for the binary's default) and which state directory (null for the
/// default). The units are static: the stop reads its budget (and the UPS) from the config when it
/// runs, and keeps systemd's stop timer from firing through EXTEND_TIMEOUT_USEC= (see
/// <see cref="SystemdNotifier"/>), so a change to the config needs no new unit. Why each line is
/// there is in docs/systemd.md; the units carry the short reasons as comments.
/// </summary>
/// <param name="Binary">The absolute path of the sundown executable.</param>
/// <param name="Config">The absolute path given with --config, or null: the unit then passes no
/// --config, because an absent default file means the defaults while an absent named one is an error.</param>
/// <param name="StateDirectory">The state directory to pass, or null to pass none (the default).</param>
/// <param name="Packaged">The units as the Debian package ships them: another first line, since
/// <c>sundown install</c> neither writes nor replaces those.</param>
internal sealed record UnitFile(string Binary, string? Config, string? StateDirectory, bool Packaged = false)
{
    internal const string Name = "sundown.service";

    /// <summary>The unit that runs <c>sundown watch</c>: it follows the UPS and stops the guests early enough.</summary>
    internal const string WatchName = "sundown-watch.service";

    /// <summary>The first line of every unit sundown install writes: what it may replace, and nothing else.</summary>
    internal const string Marker = Core.Doctor.SundownUnitFacts.Marker;

    /// <summary>The first line of the units the Debian package ships (in /usr/lib/systemd/system).</summary>
    internal const string PackageMarker = Core.Doctor.SundownUnitFacts.PackageMarker;

    /// <summary>Where the package installs the binary.</summary>
    internal const string PackageBinary = "/usr/bin/sundown";

    /// <summary>Where the package installs its units, and where <c>sundown install</c> looks for them.</summary>
    internal const string PackageUnitDirectory = "/usr/lib/systemd/system";

    /// <summary>
    /// The units exactly as the Debian package ships them: <c>/usr/bin/sundown</c>, the default
    /// config and the default state directory, so nothing is passed and the unit runs what an
    /// operator typing <c>sundown stop --at-shutdown</c> runs.
    /// </summary>
    internal static UnitFile Package { get; } = new(PackageBinary, null, null, Packaged: true);

    /// <summary>
    /// Time after the plan's deadline for what follows the guests: the last destroys' grace, the
    /// journal, the report. The stop's extensions reach this far past its deadline, and no further.
    /// </summary>
    internal static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(30);

    /// <summary>
    /// TimeoutStopSec=, the same whatever the config says: it covers what the stop does before it
    /// has a plan, where its extensions (EXTEND_TIMEOUT_USEC=, capped at the plan's deadline plus
    /// <see cref="StopMargin"/>) take over. Before the plan, each phase has its own bound: the UPS
    /// reading 4 s, the state lock 5 s (at shutdown, a stop under way is waited for up to its
    /// budget first, with the timer extended meanwhile), the journal's open 5 s, the connects 10 s (all hosts at
    /// once), the listing 30 s, the journal's first writes (the unfinished run, the run, its guests)
    /// 3 × 5 s, the restore marks 5 s (journal in memory only), the estimates 5 s: 79 s at the very
    /// worst, usually well under a second. 120 s leaves 40 s of room; and the stop keeps the timer
    /// from firing before its plan anyway (<see cref="SystemdNotifier.Begin"/>), since its second try
    /// after a failure goes through those phases once more.
    /// </summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// TimeoutStartSec=: generous, because a start that times out leaves the unit failed, and
    /// systemd skips ExecStop= for a unit that never started.
    /// </summary>
    internal static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(15);

    /// <summary>True when <paramref name="text"/> is a unit sundown install wrote, which it may replace.</summary>
    internal static bool IsGenerated(string text) => text.StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>True when <paramref name="text"/> is a unit the Debian package shipped.</summary>
    internal static bool IsPackaged(string text) => text.StartsWith(PackageMarker, StringComparison.Ordinal);

    /// <summary>
    /// Documentation=, with its newline, in the package's units only: the package installs the man
    /// pages, and systemd-analyze verify fails a unit whose man page is not there (a build from source).
    /// </summary>
    private string Documentation => Packaged ? "Documentation=man:sundown(8) man:sundown.toml(5)\n" : "";

    /// <summary>The unit's first line: who wrote it, for what, and where local changes go.</summary>
    private string Heading(string unitName) => Packaged
        ? $"{PackageMarker}; local changes go in a drop-in (`systemctl edit {unitName}`), since an upgrade replaces this file.\n" +
          "# Static: the stop reads the budget, the UPS and everything else from the config (/etc/sundown/sundown.toml) when it runs.\n"
        : $"{Marker} for {Binary}, config {Config ?? $"{ConfigFile.DefaultPath} (the default)"}, state {StateDirectory ?? "/var/lib/sundown (the default)"}.\n" +
          "# Static: the stop reads the budget from the config when it runs. `sundown install` overwrites edits to this file (use a drop-in).\n";

    internal string Render()
    {
        string binary = ExecutablePath(Binary);
        string common = Arguments();
        var unit = new StringBuilder();
        unit.Append(Heading(Name));
        unit.Append(CultureInfo.InvariantCulture, $"""
            [Unit]
            Description=Sundown: guests to a safe state at host shutdown, back at boot
            {Documentation}
            # systemd stops units in the reverse order it starts them: every unit below is still
            # up while ExecStop= runs. libvirt (monolithic or modular daemon, and its sockets):
            After=libvirtd.service virtqemud.service libvirtd.socket virtqemud.socket
            # The guests' file consoles (serial logs) go through virtlogd and their disk locks
            # through virtlockd: unordered, systemd stops them the instant this stop begins, and
            # what a guest prints while it shuts down is lost (libvirt 11: "Broken pipe").
            After=virtlogd.service virtlockd.service virtlogd.socket virtlockd.socket virtlogd-admin.socket virtlockd-admin.socket
            # libvirt orders each guest's machine scope Before= this target, so the guests' QEMU
            # processes are killed only after it stops; wanting it keeps it active, or the
            # ordering would not apply at shutdown.
            Wants=virt-guest-shutdown.target
            After=virt-guest-shutdown.target
            # Guest disks on network storage must outlive the guests.
            Wants=network-online.target
            After=network-online.target remote-fs.target iscsi.service iscsid.service open-iscsi.service blk-availability.service
            # Stopped before libvirt-guests.service, so that it finds no guest running at shutdown
            # and has none recorded to start at boot. No Conflicts=: starting this unit would stop
            # libvirt-guests, whose stop action shuts down or suspends every guest at once.
            After=libvirt-guests.service

            [Service]
            Type=oneshot
            RemainAfterExit=yes
            # ExecStop= runs as a control process: only "exec" gives it $NOTIFY_SOCKET, for
            # EXTEND_TIMEOUT_USEC= and STATUS= while guests are being stopped.
            NotifyAccess=exec
            # "-": a start that could not restore every guest must still leave the unit active,
            # or systemd would skip ExecStop= at shutdown. It restores only at the first start of a
            # boot: a start later in the same boot (after an install or a restart) starts no guest.
            # --at-boot and --at-shutdown: a config broken since it was last read falls back to
            # its last good copy (else the defaults), said at priority err, instead of being refused.
            ExecStart=-{binary} start --at-boot{common}
            ExecStop={binary} stop --at-shutdown{common}
            TimeoutStartSec={WholeSeconds(StartTimeout)}
            # What the stop does before its plan (connects, listing, journal, UPS: 79 s at worst),
            # with room. Past it, the stop extends the timer itself (EXTEND_TIMEOUT_USEC=) to the
            # config's budget plus {WholeSeconds(StopMargin)} s, so a change of budget needs no new unit.
            TimeoutStopSec={WholeSeconds(StopTimeout)}

            [Install]
            WantedBy=multi-user.target

            """);
        return unit.ToString();
    }

    /// <summary>
    /// <c>sundown-watch.service</c>: <c>sundown watch</c> as a long-running service, for the same
    /// binary, config and state directory as <see cref="Render"/>'s unit.
    /// </summary>
    internal string RenderWatch()
    {
        string binary = ExecutablePath(Binary);
        string common = Arguments();
        var unit = new StringBuilder();
        unit.Append(Heading(WatchName));
        unit.Append(CultureInfo.InvariantCulture, $"""
            [Unit]
            Description=Sundown watch: begins the guests' stop when a shutdown is requested, or early enough for the UPS
            {Documentation}# It follows logind on the system bus: PrepareForShutdown (a poweroff or reboot requested)
            # begins the guests' stop at once, while logind waits out its delay inhibitors (5 s)
            # before systemd's shutdown job stops this unit and then sundown.service. With [ups] in
            # the config it also follows the UPS.

            # After sundown.service: systemd stops units in the reverse order it starts them, so at
            # shutdown this one is stopped first, and a stop of its own that is running ends before
            # sundown.service's ExecStop= begins (which then finds the guests already off). At boot
            # it begins once the guests are back.
            After={Name}
            # logind's signals come over the system bus: kept up while this stop runs.
            After=dbus.service dbus.socket
            # Its stop goes through libvirt, its guests' consoles through virtlogd, as sundown.service's.
            After=libvirtd.service virtqemud.service libvirtd.socket virtqemud.socket
            After=virtlogd.service virtlockd.service virtlogd.socket virtlockd.socket virtlogd-admin.socket virtlockd-admin.socket
            # upsd on this host (NUT's nut-server), or on another across the network. Ordered
            # after nut-server, never pulling it in: on a host whose upsd is elsewhere it is off.
            Wants=network-online.target
            After=nut-server.service network-online.target

            [Service]
            Type=simple
            ExecStart={binary} watch{common}
            # A UPS or a system bus that does not answer never ends it, and a config broken since
            # it last parsed falls back to its last good copy; a crash ends it, and systemd starts
            # it again. Exit status 2 (a wrong invocation) is not retried: it would fail the same
            # way every 10s.
            Restart=on-failure
            RestartSec=10s
            RestartPreventExitStatus=2
            # SIGTERM ends it at once, unless the guests' stop it began is running: that is seen
            # through, and watch (the main process: "main" gives it $NOTIFY_SOCKET) extends the
            # timer with EXTEND_TIMEOUT_USEC= to that stop's deadline plus {WholeSeconds(StopMargin)} s. Before that
            # stop has its plan, the same {WholeSeconds(StopTimeout)} s as sundown.service's.
            NotifyAccess=main
            TimeoutStopSec={WholeSeconds(StopTimeout)}

            [Install]
            WantedBy=multi-user.target

            """);
        return unit.ToString();
    }

    /// <summary>The --config and --state-dir to pass, each with a space before it; empty for the defaults.</summary>
    private string Arguments()
    {
        var arguments = new StringBuilder();
        if (Config is not null)
        {
            arguments.Append(" --config ").Append(Argument(Config));
        }

        if (StateDirectory is not null)
        {
            arguments.Append(" --state-dir ").Append(Argument(StateDirectory));
        }

        return arguments.ToString();
    }

    private static long WholeSeconds(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds);

    /// <summary>
    /// The executable as systemd reads it: quoted when needed, '%' doubled (specifiers), but '$'
    /// kept, since the executable is not subject to variable expansion. systemd refuses quotes and
    /// backslashes in it outright ("Executable name contains special characters").
    /// </summary>
    internal static string ExecutablePath(string path)
    {
        CheckPath(path, "the sundown binary");
        if (path.IndexOfAny(['"', '\'', '\\']) >= 0)
        {
            throw new UsageException($"systemd cannot run an executable whose path has a quote or a backslash: {path}; install sundown elsewhere");
        }

        return Quote(path.Replace("%", "%%", StringComparison.Ordinal));
    }

    /// <summary>
    /// An argument as systemd reads it (systemd.syntax(7), systemd.service(5) "Command lines"):
    /// '%' and '$' doubled, then double-quoted with C escapes when it holds anything but plain
    /// path characters.
    /// </summary>
    internal static string Argument(string value)
    {
        CheckPath(value, "a path");
        return Quote(value.Replace("%", "%%", StringComparison.Ordinal).Replace("$", "$$", StringComparison.Ordinal));
    }

    private static string Quote(string word)
    {
        if (word.Length > 0 && word.All(IsPlain))
        {
            return word;
        }

        var quoted = new StringBuilder(word.Length + 2).Append('"');
        foreach (char c in word)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ',' or ':' or '@' or '=' or '%' or '$';

    private static void CheckPath(string path, string what)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new UsageException($"{what} must be an absolute path for systemd: {path}");
        }

        if (path.Any(char.IsControl))
        {
            throw new UsageException($"{what} has a control character, which a unit file cannot hold: {TextTable.Printable(path)}");
        }
    }
}
