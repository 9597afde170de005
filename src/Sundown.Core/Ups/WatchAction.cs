namespace Sundown.Core.Ups;

/// <summary>What the watch loop is to do after a reading.</summary>
public enum WatchAction
{
    None,

    /// <summary>Begin the guests' stop now, with <see cref="WatchStep.Budget"/>.</summary>
    Stop,

    /// <summary>Start the guests again (the restore list), as <c>sundown start</c> does.</summary>
    Start,
}
