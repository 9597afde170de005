namespace Sundown.Engine.Hooks;

/// <summary>The words of <see cref="HookResult.Result"/>, as the journal and the JSON carry them.</summary>
public static class HookResults
{
    /// <summary>It exited with status 0.</summary>
    public const string Ok = "ok";

    /// <summary>It exited with another status, or a signal ended it.</summary>
    public const string Failed = "failed";

    /// <summary>It was still running at its deadline and was killed (its whole process group).</summary>
    public const string Timeout = "timeout";

    /// <summary>It could not be started: not found, not executable, or the spawn failed.</summary>
    public const string Error = "error";

    /// <summary>It was not started: no time was left for it before the deadline.</summary>
    public const string Skipped = "skipped";
}
