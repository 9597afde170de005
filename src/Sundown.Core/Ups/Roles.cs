namespace Sundown.Core.Ups;

/// <summary>[ups] role's words, as upsmon.conf spells them.</summary>
public static class Roles
{
    public static UpsRole? TryParse(string text) => text switch
    {
        "standalone" => UpsRole.Standalone,
        "primary" => UpsRole.Primary,
        "secondary" => UpsRole.Secondary,
        _ => null,
    };

    public static string Name(UpsRole role) => role switch
    {
        UpsRole.Primary => "primary",
        UpsRole.Secondary => "secondary",
        _ => "standalone",
    };

    /// <summary>A word upsd reads unquoted: what a user name must be (upsd.users' [NAME]).</summary>
    public static bool IsWord(string text) =>
        text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@');
}
