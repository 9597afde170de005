using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sundown.Engine.Journaling;

/// <summary>
/// One run at a time per state directory: an exclusive flock(2) on <c>STATE/sundown.lock</c>,
/// held until <see cref="Dispose"/>. The kernel drops the lock when the process ends however
/// it ends (even SIGKILL), so a crashed run never leaves the directory locked. The file holds
/// the holder's PID, for the message another run gets.
/// </summary>
public sealed class StateLock : IDisposable
{
    /// <summary>The lock file in the state directory.</summary>
    public const string FileName = "sundown.lock";

    private readonly SafeFileHandle _file;

    private StateLock(SafeFileHandle file, string path)
    {
        _file = file;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>Takes the lock, creating the directory (0700) and the file as needed; waits a second at most.</summary>
    /// <exception cref="StateLockedException">Another process holds it.</exception>
    /// <exception cref="JournalException">The directory or the file cannot be created or written.</exception>
    private const int LockAttempts = 10;
    private static readonly TimeSpan s_lockRetryPause = TimeSpan.FromMilliseconds(100);

    public static StateLock Acquire(string stateDirectory)
    {
        StateDirectory.Create(stateDirectory);
        string path = Path.Combine(stateDirectory, FileName);

        // Close-on-exec (a child process must not inherit the descriptor, or the lock would
        // outlive us in it), 0600 and never through a symbolic link.
        var file = PrivateFile.Open(path, "the lock file");
        int fd = (int)file.DangerousGetHandle();
        try
        {
            // A few short tries before giving up: a process we forked holds a copy of the
            // descriptor until it execs (close-on-exec acts only then), and a sundown that is
            // just finishing lets go in a moment. Another run in progress is still refused
            // within a second.
            for (int attempt = 1; Interop.Libc.Flock(fd, Interop.Libc.LockExclusive | Interop.Libc.LockNonBlocking) != 0; attempt++)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error != Interop.Libc.ErrorWouldBlock)
                {
                    throw new JournalException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
                }

                if (attempt == LockAttempts)
                {
                    throw new StateLockedException(stateDirectory, ReadHolderPid(file));
                }

                Thread.Sleep(s_lockRetryPause);
            }

            RandomAccess.SetLength(file, 0);
            RandomAccess.Write(file, Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"), 0);
            return new StateLock(file, path);
        }
        catch (IOException e)
        {
            file.Dispose();
            throw new JournalException($"cannot write the lock file {path}: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The lock, or none when the lock file cannot be made or written (a read-only or full state
    /// directory): for a run that must go on regardless, which says so through <paramref name="failed"/>.
    /// </summary>
    /// <exception cref="StateLockedException">Another process holds the lock: that is still refused.</exception>
    public static StateLock? TryAcquire(string stateDirectory, Action<JournalException> failed)
    {
        // Held to the journal's answer time: a disk that hangs must not hold up a stop before its first guest.
        var acquiring = Task.Run(() => Acquire(stateDirectory));
        try
        {
            if (acquiring.Wait(Journal.AnswerTimeout))
            {
                return acquiring.Result;
            }

            _ = acquiring.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            failed(new JournalException($"the lock in {stateDirectory} could not be taken within {Journal.AnswerTimeout.TotalSeconds:0}s (a disk that hangs?)"));
        }
        catch (AggregateException e) when (e.InnerException is JournalException cannot)
        {
            failed(cannot);
        }
        catch (AggregateException e) when (e.InnerException is StateLockedException locked)
        {
            // Another running sundown: still refused, as it was.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(locked);
        }

        return null;
    }

    public void Dispose()
    {
        if (_file.IsClosed)
        {
            return;
        }

        // Empty the file while still holding the lock, so it never names a process that no
        // longer holds it. Failing that, the lock still goes with the descriptor; the stale
        // PID only shows if something else (not a sundown) locks the file later.
        try
        {
            RandomAccess.SetLength(_file, 0);
        }
        catch (IOException)
        {
        }

        _file.Dispose();
    }

    /// <summary>The PID the holder wrote, or null: a holder between lock and write, or one that is not a sundown (flock(1)).</summary>
    private static int? ReadHolderPid(SafeFileHandle file)
    {
        try
        {
            Span<byte> text = stackalloc byte[32];
            int length = RandomAccess.Read(file, text, 0);
            return int.TryParse(text[..length], NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int pid) && pid > 0
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
