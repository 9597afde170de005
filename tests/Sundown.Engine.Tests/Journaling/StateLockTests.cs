using System.Diagnostics;
using Sundown.Engine.Journaling;
using Sundown.Testing;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>The state lock, against itself and against flock(1) in another process.</summary>
public sealed class StateLockTests : IDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("sundown-lock-");

    private string LockFile => Path.Combine(_state.FullName, StateLock.FileName);

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public void A_second_acquire_is_refused_with_the_holders_pid()
    {
        using var held = StateLock.Acquire(_state.FullName);

        var error = Assert.Throws<StateLockedException>(() => StateLock.Acquire(_state.FullName));

        Assert.Equal($"another sundown (pid {Environment.ProcessId}) is running on {_state.FullName}", error.Message);
        Assert.Equal(Environment.ProcessId, error.Pid);
    }

    [Fact]
    public void A_released_lock_can_be_acquired_again_and_no_longer_names_a_holder()
    {
        StateLock.Acquire(_state.FullName).Dispose();

        using var again = StateLock.Acquire(_state.FullName);

        Assert.Equal(LockFile, again.FilePath);
        again.Dispose();
        Assert.Equal("", File.ReadAllText(LockFile));
    }

    [Fact]
    public void Acquire_creates_a_private_state_directory()
    {
        string state = Path.Combine(_state.FullName, "var", "lib", "sundown");

        using var held = StateLock.Acquire(state);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_lock_held_by_another_process_with_flock_refuses_acquire_until_that_process_dies()
    {
        Requires.Program("flock");
        // --close: flock itself holds the lock and its command does not inherit it, so the
        // lock is gone once the process we wait for has exited.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--close", LockFile, "sh", "-c", "echo held; exec sleep 30"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("held", await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));

            var error = Assert.Throws<StateLockedException>(() => StateLock.Acquire(_state.FullName));

            // flock(1) wrote no PID: the message says so without one.
            Assert.Equal($"another sundown is running on {_state.FullName}", error.Message);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        // The kernel released the dead holder's lock.
        using var acquired = StateLock.Acquire(_state.FullName);
    }

    [Fact(Timeout = 30_000)]
    public async Task Another_process_cannot_take_the_lock_while_we_hold_it()
    {
        Requires.Program("flock");
        using (StateLock.Acquire(_state.FullName))
        {
            var refused = await ProcessRunner.RunAsync("flock", ["--nonblock", "--exclusive", LockFile, "true"], timeout: TimeSpan.FromSeconds(20));
            Assert.Equal(1, refused.ExitCode);
        }

        var taken = await ProcessRunner.RunAsync("flock", ["--nonblock", "--exclusive", LockFile, "true"], timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(0, taken.ExitCode);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_child_process_does_not_inherit_the_lock()
    {
        Requires.Program("sleep");
        var state = StateLock.Acquire(_state.FullName);
        using var child = Process.Start("sleep", "30");
        try
        {
            state.Dispose();

            // Were the descriptor inherited, the sleeping child would still hold the lock.
            using var again = StateLock.Acquire(_state.FullName);
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }
}
