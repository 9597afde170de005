namespace Sundown.Core.Policy;

/// <summary>Whether <c>sundown start</c> brings a guest back.</summary>
public enum RestoreRule
{
    /// <summary>If it was running or paused when the last stop began.</summary>
    Previous,

    /// <summary>Always, even if it was off.</summary>
    Always,

    /// <summary>Never.</summary>
    Never,
}
