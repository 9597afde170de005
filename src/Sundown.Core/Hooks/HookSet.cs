namespace Sundown.Core.Hooks;

/// <summary>
/// The three hooks of a guest's policy or of a run (<c>[hooks]</c>). Null in an override leaves the
/// one beneath as it was; <see cref="HookCommand.None"/> turns it off.
/// </summary>
public sealed record HookSet(HookCommand? PreStop = null, HookCommand? PostStop = null, HookCommand? PostStart = null)
{
    public static HookSet Empty { get; } = new();

    public bool IsEmpty => Of(HookKind.PreStop) is null && Of(HookKind.PostStop) is null && Of(HookKind.PostStart) is null;

    /// <summary>The hook to run for <paramref name="kind"/>, or null when there is none.</summary>
    public HookCommand? Of(HookKind kind) => (kind switch
    {
        HookKind.PreStop => PreStop,
        HookKind.PostStop => PostStop,
        _ => PostStart,
    }) is { IsNone: false } command ? command : null;

    public HookSet With(HookKind kind, HookCommand command) => kind switch
    {
        HookKind.PreStop => this with { PreStop = command },
        HookKind.PostStop => this with { PostStop = command },
        _ => this with { PostStart = command },
    };

    /// <summary>These hooks with what <paramref name="over"/> sets laid on top.</summary>
    public HookSet Overridden(HookSet? over) => over is null ? this : new(
        over.PreStop ?? PreStop,
        over.PostStop ?? PostStop,
        over.PostStart ?? PostStart);
}
