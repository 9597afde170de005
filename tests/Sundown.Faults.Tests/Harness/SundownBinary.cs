using System.Diagnostics;
using Sundown.Testing;

namespace Sundown.Faults.Tests.Harness;

/// <summary>The published binary, run as an operator or the unit runs it: a list of arguments, or a bash line for redirections.</summary>
internal static class SundownBinary
{
    /// <summary>What one run did, and how long it took from the outside.</summary>
    internal sealed record Run(int ExitCode, string Output, string Error, TimeSpan Elapsed)
    {
        internal string Describe() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1}s\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    internal static string Path => Repository.SundownBinary;

    /// <summary>Skips (or, under CI=true, fails) when scripts/publish.sh has not been run.</summary>
    internal static void Require() => Requires.File(Path, "run scripts/publish.sh first");

    /// <summary>
    /// Runs <c>sundown ARGS</c>; <paramref name="timeout"/> is the harness's own bound, well past
    /// what any assertion allows, so that a hang fails the test instead of holding it.
    /// </summary>
    internal static async Task<Run> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        Require();
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync(Path, arguments, timeout: timeout ?? TimeSpan.FromMinutes(2));
        return new Run(result.ExitCode, result.Output, result.Error, clock.Elapsed);
    }

    /// <summary>
    /// Runs <paramref name="script"/> with bash, the binary as <c>$0</c> and the arguments as
    /// <c>"$@"</c> (never spliced into the line), for redirections the Process API cannot make.
    /// </summary>
    internal static async Task<Run> ShellAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        Require();
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync("bash", ["-c", script, Path, .. arguments], timeout: timeout ?? TimeSpan.FromMinutes(2));
        return new Run(result.ExitCode, result.Output, result.Error, clock.Elapsed);
    }
}
