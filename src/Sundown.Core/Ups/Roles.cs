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
}
