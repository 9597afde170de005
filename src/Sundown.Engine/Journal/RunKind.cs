namespace Sundown.Engine.Journal;

/// <summary>What a run did: stopped guests, or brought them back.</summary>
public enum RunKind
{
    Stop,
    Start,
}
