using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// Watches the guests' QEMU processes of a booted host from outside (this machine's /proc sees
/// every process of the container's PID namespace): when each one ended, to a tenth of a second.
/// Needs nothing inside the host to answer, so it keeps seeing while the host shuts down and up
/// to the moment its power is cut. A QEMU that ends has stopped running its guest: off, saved or
/// killed; its QEMU log and the host's journal tell which.
/// </summary>
internal sealed class QemuWatch : IAsyncDisposable
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, int> _pids;
    private readonly Dictionary<string, DateTimeOffset> _ended = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;

    private QemuWatch(Dictionary<string, int> pids)
    {
        _pids = pids;
        _polling = Task.Run(PollAsync);
    }

    /// <summary>Starts watching the QEMU of each of <paramref name="guests"/> in the host whose PID 1 is <paramref name="hostPid"/>.</summary>
    internal static QemuWatch Start(int hostPid, IEnumerable<string> guests)
    {
        string pidNamespace = NamespaceOf(hostPid) ?? throw new Xunit.Sdk.XunitException($"the host's PID 1 ({hostPid}) is gone");
        var found = new Dictionary<string, int>();
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || NamespaceOf(pid) != pidNamespace)
            {
                continue;
            }

            if (GuestOf(pid) is { } name)
            {
                found[name] = pid;
            }
        }

        var missing = guests.Where(g => !found.ContainsKey(g)).ToList();
        Assert.True(missing.Count == 0, $"no QEMU process in the host for {string.Join(", ", missing)} (found: {string.Join(", ", found.Keys)})");
        return new QemuWatch(found);
    }

    /// <summary>When the guest's QEMU ended, or null while it runs.</summary>
    internal DateTimeOffset? EndedAt(string guest)
    {
        lock (_ended)
        {
            return _ended.TryGetValue(guest, out var at) ? at : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        _stop.Dispose();
    }

    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var (guest, pid) in _pids)
            {
                if (EndedAt(guest) is null && !Alive(pid))
                {
                    lock (_ended)
                    {
                        _ended[guest] = DateTimeOffset.UtcNow;
                    }
                }
            }

            try
            {
                await Task.Delay(s_poll, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Running, not a zombie waiting for libvirtd to reap it.</summary>
    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // "PID (comm) S ...": the state follows the last ')'.
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? NamespaceOf(int pid)
    {
        try
        {
            // The link's own text, "pid:[INODE]": the same for every process of one namespace.
            return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The guest's name from QEMU's command line: libvirt passes <c>-name guest=NAME,debug-threads=on</c>.</summary>
    private static string? GuestOf(int pid)
    {
        string[] arguments;
        try
        {
            arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (IOException)
        {
            return null;
        }

        if (arguments.Length == 0 || !Path.GetFileName(arguments[0]).StartsWith("qemu-system", StringComparison.Ordinal))
        {
            return null;
        }

        int name = Array.IndexOf(arguments, "-name");
        if (name < 0 || name + 1 >= arguments.Length || !arguments[name + 1].StartsWith("guest=", StringComparison.Ordinal))
        {
            return null;
        }

        // QEMU's option syntax doubles a comma inside a value; the fleets' names have none.
        string value = arguments[name + 1]["guest=".Length..];
        int comma = value.IndexOf(',');
        return comma < 0 ? value : value[..comma];
    }
}
