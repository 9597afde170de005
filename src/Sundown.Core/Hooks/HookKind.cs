namespace Sundown.Core.Hooks;

/// <summary>When a hook runs: around a guest's stop (or the whole run's), or after its start.</summary>
public enum HookKind
{
    /// <summary>Before the guest's (or the run's) first stop step; bounded so that the ladder keeps its time.</summary>
    PreStop,

    /// <summary>After the guest's (or the run's last guest's) stop ended, with its outcome.</summary>
    PostStop,

    /// <summary>After the guest was started or restored (or after the whole start run).</summary>
    PostStart,
}
