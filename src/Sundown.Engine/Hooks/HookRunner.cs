using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Sundown.Engine.Config;

namespace Sundown.Engine.Hooks;

/// <summary>
/// Runs one hook as a process of its own: its argv as is (never a shell), a clean environment,
/// stdin empty, in a session and process group of its own (through util-linux's
/// <c>setsid</c>, which execs the hook in place: the pid is the hook's and the group's), both
/// pipes read at once into a capped tail, the child reaped. At its deadline the whole group gets
/// SIGTERM, then SIGKILL after <see cref="KillGrace"/>. It never throws for what the hook does:
/// every way a hook can go wrong is a <see cref="HookResult"/>.
/// </summary>
public static class HookRunner
{
    /// <summary>How much of a hook's output is kept: the last 4 KiB.</summary>
    public const int OutputLimit = 4096;

    /// <summary>Between SIGTERM and SIGKILL at the deadline.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long the pipes may stay open after the hook exited (a child it left behind holds them) before its group is killed.</summary>
    private static readonly TimeSpan s_pipesAfterExit = TimeSpan.FromSeconds(1);

    /// <summary>The environment every hook starts from; nothing of Sundown's own is passed on.</summary>
    public static ImmutableArray<KeyValuePair<string, string>> BaseEnvironment { get; } =
    [
        new("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        new("LANG", "C.UTF-8"),
    ];

    /// <summary>util-linux's setsid; without it (not on Debian) the hook runs in Sundown's group and only its own pid is killed.</summary>
    internal static string? SetsidPath { get; set; } = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    /// <param name="cut">Treated as its deadline come early (a tightening, the interrupt): its group is signalled at once.</param>
    public static async Task<HookResult> RunAsync(HookRequest request, TimeProvider time, CancellationToken cut = default)
    {
        var started = time.GetUtcNow();
        var argv = request.Command.Argv;
        HookResult Ended(string result, int? exitCode, string? error, string output = "") =>
            new(request.Kind, request.Uri, request.Uuid, request.Guest, argv, started, time.GetUtcNow(), result, exitCode, error, output);

        if (request.KillAt <= started)
        {
            return Ended(HookResults.Skipped, null, "no time was left for it before its deadline");
        }

        if (Unrunnable(argv[0]) is { } why)
        {
            return Ended(HookResults.Error, null, why);
        }

        var start = new ProcessStartInfo(SetsidPath ?? argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (SetsidPath is not null)
        {
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(argv[0]);
        }

        foreach (string arg in argv.AsSpan()[1..])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in BaseEnvironment.Concat(request.Variables))
        {
            start.Environment[key] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            return Ended(HookResults.Error, null, $"could not be started: {e.Message}");
        }

        int pid = process.Id;
        // Nothing to read: stdin is empty, at end of file at once.
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It exited already; nothing was to be written anyway.
        }

        var tail = new OutputTail(OutputLimit);
        var readers = Task.WhenAll(
            tail.ReadAsync(process.StandardOutput.BaseStream),
            tail.ReadAsync(process.StandardError.BaseStream));

        bool timedOut = false;
        // The spawn may have taken longer than the time that was left: then it is signalled at
        // once (a negative delay would throw, and -1 ms would mean never).
        var left = request.KillAt - time.GetUtcNow();
        using (var untilDeadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time))
        {
            using var cutShort = cut.Register(untilDeadline.Cancel);
            try
            {
                await process.WaitForExitAsync(untilDeadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
            }
        }

        if (timedOut)
        {
            Signal(pid, Interop.Libc.SignalTerminate);
            if (!await ExitedWithinAsync(process, KillGrace, time))
            {
                Signal(pid, Interop.Libc.SignalKill);
                await ExitedWithinAsync(process, KillGrace, time);
            }
        }

        // A child it left behind may hold the pipes open: the group is killed then, so that
        // nothing it started outlives it holding Sundown's pipes.
        if (!await CompletedWithinAsync(readers, s_pipesAfterExit, time))
        {
            Signal(pid, Interop.Libc.SignalKill);
            await CompletedWithinAsync(readers, s_pipesAfterExit, time);
        }

        string output = tail.Text();
        if (!process.HasExited)
        {
            return Ended(HookResults.Timeout, null, "killed at its deadline, and it did not end even on SIGKILL", output);
        }

        int code = process.ExitCode;
        if (timedOut && cut.IsCancellationRequested)
        {
            return Ended(HookResults.Timeout, null, "cut short (the stop was interrupted, or its budget tightened past the hook's time): its process group was killed", output);
        }

        if (timedOut)
        {
            return Ended(HookResults.Timeout, null, $"still running at its deadline ({request.KillAt:yyyy-MM-ddTHH:mm:ss.fffZ}): its process group was killed", output);
        }

        // .NET reports a signal's death as 128 + the signal.
        return code == 0 ? Ended(HookResults.Ok, 0, null, output)
            : code > 128 && code < 128 + 65 ? Ended(HookResults.Failed, null, $"ended by signal {code - 128}", output)
            : Ended(HookResults.Failed, code, code is 126 or 127 && SetsidPath is not null ? $"exit status {code} (could not be executed?)" : $"exit status {code}", output);
    }

    /// <summary>Why the program cannot be run, checked before a spawn so that the report says so in words.</summary>
    private static string? Unrunnable(string program)
    {
        try
        {
            if (Directory.Exists(program))
            {
                return $"{program} is a directory, not a program";
            }

            if (!File.Exists(program))
            {
                return $"{program} not found";
            }

            var mode = File.GetUnixFileMode(program);
            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if ((mode & anyExecute) == 0)
            {
                return $"{program} is not executable";
            }

            // The config's rule (ConfigFile.CheckFile): what root runs, only root may change.
            if (FileStatus.CurrentUid == 0 && FileStatus.Of(program, followLinks: true) is var status)
            {
                if (status.Uid != 0)
                {
                    return $"{program} is owned by uid {status.Uid}, not by root, and sundown runs as root: chown root {program}";
                }

                if (status.WritableByGroupOrOthers)
                {
                    return $"{program} is writable by group or others (mode {status.OctalPermissions}), and sundown runs as root: chmod go-w {program}";
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{program} cannot be read: {e.Message}";
        }
    }

    private static void Signal(int pid, int signal)
    {
        // The group first (setsid made the hook its leader); if setsid had not yet run, the pid alone.
        if (SetsidPath is null || Interop.Libc.Kill(-pid, signal) != 0)
        {
            Interop.Libc.Kill(pid, signal);
        }
    }

    private static async Task<bool> ExitedWithinAsync(Process process, TimeSpan within, TimeProvider time)
    {
        using var timeout = new CancellationTokenSource(within, time);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> CompletedWithinAsync(Task task, TimeSpan within, TimeProvider time)
    {
        await task.WaitAsync(within, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return task.IsCompleted;
    }

    /// <summary>
    /// The last bytes of both pipes, in the order they were read: within a pipe that is the hook's
    /// order, between stdout and stderr it is only roughly so (two pipes, two readers).
    /// </summary>
    private sealed class OutputTail(int limit)
    {
        private readonly byte[] _ring = new byte[limit];
        private long _written;

        internal async Task ReadAsync(Stream stream)
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    lock (_ring)
                    {
                        for (int i = 0; i < read; i++)
                        {
                            _ring[_written++ % _ring.Length] = buffer[i];
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The pipe went with the process: what came is kept.
            }
        }

        internal string Text()
        {
            lock (_ring)
            {
                int length = (int)Math.Min(_written, _ring.Length);
                var bytes = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    bytes[i] = _ring[(_written - length + i) % _ring.Length];
                }

                return Encoding.UTF8.GetString(bytes);
            }
        }
    }
}
