namespace Sundown.Core.Hooks;

/// <summary>The config's and the journal's words for <see cref="HookKind"/>.</summary>
public static class HookKinds
{
    public static string ToKey(this HookKind kind) => kind switch
    {
        HookKind.PreStop => "pre_stop",
        HookKind.PostStop => "post_stop",
        HookKind.PostStart => "post_start",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static HookKind? FromKey(string key) => key switch
    {
        "pre_stop" => HookKind.PreStop,
        "post_stop" => HookKind.PostStop,
        "post_start" => HookKind.PostStart,
        _ => null,
    };

    public static readonly string[] Keys = ["pre_stop", "post_stop", "post_start"];
}
