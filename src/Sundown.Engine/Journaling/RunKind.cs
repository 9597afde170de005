namespace Sundown.Engine.Journaling;

/// <summary>What a run did: stopped guests, or brought them back.</summary>
public enum RunKind
{
    Stop,
    Start,
}
