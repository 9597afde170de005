namespace Sundown.Core.Doctor;

/// <summary>The words the JSON contract and the listing use for <see cref="Severity"/>.</summary>
public static class Severities
{
    public static string ToName(this Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "info",
    };
}
