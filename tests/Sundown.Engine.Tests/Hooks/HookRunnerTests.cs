using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Sundown.Core.Hooks;
using Sundown.Engine.Hooks;

namespace Sundown.Engine.Tests.Hooks;

/// <summary>The hook runner on real processes (/bin/sh, /usr/bin/env, /bin/sleep) and the real clock.</summary>
public sealed class HookRunnerTests : IDisposable
{
    private const string Pwned = "$(touch PWNED)";
    private readonly string _dir = Directory.CreateTempSubdirectory("sundown-hooks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 30_000)]
    public async Task The_environment_is_exactly_the_clean_one_and_the_sundown_variables()
    {
        var variables = Variables(("SUNDOWN_GUEST", "a\nb c"), ("SUNDOWN_UUID", "u"), ("SUNDOWN_URI", "test:///default"), ("SUNDOWN_DEADLINE", "2026-12-02T13:00:00.000Z"));
        Environment.SetEnvironmentVariable("SUNDOWN_LEAK_CHECK", "leaked");

        var result = await RunAsync(["/usr/bin/env", "-0"], variables, TimeSpan.FromSeconds(10));

        Assert.Equal(HookResults.Ok, result.Result);
        Assert.Equal(0, result.ExitCode);
        string[] expected =
        [
            "LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SUNDOWN_DEADLINE=2026-12-02T13:00:00.000Z",
            "SUNDOWN_GUEST=a\nb c", "SUNDOWN_URI=test:///default", "SUNDOWN_UUID=u",
        ];
        Assert.Equal(expected, result.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_name_that_a_shell_would_run_reaches_the_hook_as_data_byte_exact()
    {
        string file = Path.Combine(_dir, "name");
        string name = Pwned + " `touch PWNED` ; touch PWNED 'é\"";
        var variables = Variables(("SUNDOWN_GUEST", name));

        // The hook is a shell, on purpose: it must get the name in its environment and its argv as data.
        var result = await RunAsync(["/bin/sh", "-c", "printf %s \"$SUNDOWN_GUEST\" > \"$1\"; printf %s \"$2\" > \"$1.arg\"", "sh", file, Pwned], variables, TimeSpan.FromSeconds(10));

        Assert.Equal(HookResults.Ok, result.Result);
        Assert.Equal(Encoding.UTF8.GetBytes(name), await File.ReadAllBytesAsync(file));
        Assert.Equal(Pwned, await File.ReadAllTextAsync(file + ".arg"));
        Assert.False(File.Exists("/PWNED"));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "PWNED")));
        Assert.False(File.Exists(Path.Combine(_dir, "PWNED")));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hanging_hook_and_the_child_it_started_are_killed_at_the_deadline_and_reaped()
    {
        string pids = Path.Combine(_dir, "pids");
        var begun = Stopwatch.StartNew();

        var result = await RunAsync(["/bin/sh", "-c", "/bin/sleep 600 & echo $$ $! > \"$1\"; wait", "sh", pids], [], TimeSpan.FromSeconds(1));

        Assert.Equal(HookResults.Timeout, result.Result);
        Assert.Null(result.ExitCode);
        Assert.InRange(begun.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1) + HookRunner.KillGrace);
        Assert.All((await File.ReadAllTextAsync(pids)).Split(' ', StringSplitOptions.TrimEntries), pid => AssertGone(int.Parse(pid)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hook_that_ignores_sigterm_is_killed_after_the_grace()
    {
        string pids = Path.Combine(_dir, "pids");
        var begun = Stopwatch.StartNew();

        var result = await RunAsync(["/bin/sh", "-c", "trap '' TERM; echo $$ > \"$1\"; while :; do /bin/sleep 1; done", "sh", pids], [], TimeSpan.FromSeconds(1));

        Assert.Equal(HookResults.Timeout, result.Result);
        Assert.InRange(begun.Elapsed, TimeSpan.FromSeconds(1) + HookRunner.KillGrace - TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1) + (2 * HookRunner.KillGrace));
        AssertGone(int.Parse((await File.ReadAllTextAsync(pids)).Trim()));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failing_hook_is_failed_with_its_status_and_its_output_kept()
    {
        var result = await RunAsync(["/bin/sh", "-c", "echo out; echo oops >&2; exit 3"], [], TimeSpan.FromSeconds(10));

        Assert.Equal(HookResults.Failed, result.Result);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("exit status 3", result.Error);
        Assert.Contains("out\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("oops\n", result.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_or_not_executable_program_is_an_error_in_words()
    {
        string notExecutable = Path.Combine(_dir, "script");
        await File.WriteAllTextAsync(notExecutable, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var missing = await RunAsync(["/nonexistent/hook"], [], TimeSpan.FromSeconds(10));
        var denied = await RunAsync([notExecutable], [], TimeSpan.FromSeconds(10));

        Assert.Equal((HookResults.Error, "/nonexistent/hook not found"), (missing.Result, missing.Error));
        Assert.Equal((HookResults.Error, $"{notExecutable} is not executable"), (denied.Result, denied.Error));
    }

    [Fact(Timeout = 30_000)]
    public async Task Run_as_root_a_program_that_others_may_change_is_refused_unstarted()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true" && Environment.UserName != "root", "needs root (chown)");
        string ran = Path.Combine(_dir, "ran");
        string groupWritable = Path.Combine(_dir, "group-writable");
        string notRoots = Path.Combine(_dir, "not-roots");
        foreach (string script in new[] { groupWritable, notRoots })
        {
            await File.WriteAllTextAsync(script, $"#!/bin/sh\ntouch {ran}\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        File.SetUnixFileMode(groupWritable, File.GetUnixFileMode(groupWritable) | UnixFileMode.GroupWrite);
        using (var chown = Process.Start("/bin/chown", ["65534", notRoots]))
        {
            await chown.WaitForExitAsync();
            Assert.Equal(0, chown.ExitCode);
        }

        var writable = await RunAsync([groupWritable], [], TimeSpan.FromSeconds(10));
        var foreign = await RunAsync([notRoots], [], TimeSpan.FromSeconds(10));

        Assert.Equal((HookResults.Error, $"{groupWritable} is writable by group or others (mode 0770), and sundown runs as root: chmod go-w {groupWritable}"), (writable.Result, writable.Error));
        Assert.Equal((HookResults.Error, $"{notRoots} is owned by uid 65534, not by root, and sundown runs as root: chown root {notRoots}"), (foreign.Result, foreign.Error));
        Assert.False(File.Exists(ran));
    }

    [Fact(Timeout = 30_000)]
    public async Task Only_the_last_4_KiB_of_the_output_are_kept()
    {
        var result = await RunAsync(["/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a; printf END"], [], TimeSpan.FromSeconds(10));

        Assert.Equal(HookResults.Ok, result.Result);
        Assert.Equal(HookRunner.OutputLimit, result.Output.Length);
        Assert.EndsWith("aaaEND", result.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hook_that_exits_leaving_a_child_on_its_pipes_ends_at_once_and_the_child_is_killed()
    {
        string pids = Path.Combine(_dir, "pids");
        var begun = Stopwatch.StartNew();

        var result = await RunAsync(["/bin/sh", "-c", "/bin/sleep 600 & echo $! > \"$1\"; echo left", "sh", pids], [], TimeSpan.FromSeconds(20));

        Assert.Equal(HookResults.Ok, result.Result);
        Assert.Equal("left\n", result.Output);
        Assert.InRange(begun.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
        AssertGone(int.Parse((await File.ReadAllTextAsync(pids)).Trim()));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hook_whose_deadline_has_passed_is_skipped_unstarted()
    {
        string file = Path.Combine(_dir, "ran");

        var result = await RunAsync(["/usr/bin/touch", file], [], TimeSpan.FromSeconds(-1));

        Assert.Equal(HookResults.Skipped, result.Result);
        Assert.False(File.Exists(file));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hook_whose_deadline_passed_while_it_was_spawned_is_killed_at_once_not_left_running()
    {
        string pids = Path.Combine(_dir, "pids");
        var command = HookCommand.TryCreate(["/bin/sh", "-c", "echo $$ > \"$1\"; exec /bin/sleep 600", "sh", pids], out string? error) ?? throw new ArgumentException(error);
        // Each reading of the clock is a second later: the deadline is still ahead at the check, past after the spawn.
        var time = new SteppingClock(TimeSpan.FromSeconds(1));
        var begun = Stopwatch.StartNew();

        var result = await HookRunner.RunAsync(new HookRequest(HookKind.PreStop, command, [], time.Start + TimeSpan.FromSeconds(1.5)), time);

        Assert.Equal(HookResults.Timeout, result.Result);
        Assert.InRange(begun.Elapsed, TimeSpan.Zero, HookRunner.KillGrace + TimeSpan.FromSeconds(1));
        for (int i = 0; i < 100 && !File.Exists(pids); i++)
        {
            await Task.Delay(20);
        }

        if (File.Exists(pids) && (await File.ReadAllTextAsync(pids)).Trim() is { Length: > 0 } pid)
        {
            AssertGone(int.Parse(pid));
        }
    }

    private static async Task<HookResult> RunAsync(string[] argv, ImmutableArray<KeyValuePair<string, string>> variables, TimeSpan within)
    {
        var command = HookCommand.TryCreate(argv, out string? error) ?? throw new ArgumentException(error);
        return await HookRunner.RunAsync(new HookRequest(HookKind.PreStop, command, variables, DateTimeOffset.UtcNow + within), TimeProvider.System);
    }

    private static ImmutableArray<KeyValuePair<string, string>> Variables(params (string Key, string Value)[] pairs) =>
        [.. pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value))];

    /// <summary>
    /// Not running any more: gone, or a zombie left to init (an orphan the hook left behind is
    /// reparented to PID 1, which reaps it in its own time; the hook itself is reaped by the runner).
    /// </summary>
    private static void AssertGone(int pid)
    {
        static bool Running(int pid)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        for (int i = 0; i < 100 && Running(pid); i++)
        {
            Thread.Sleep(20);
        }

        Assert.False(Running(pid), $"process {pid} is still running");
    }

    /// <summary>The real timers, but a clock that reads a step later at each look.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _looks;

        internal DateTimeOffset Start { get; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Start + (step * Interlocked.Increment(ref _looks));
    }
}
