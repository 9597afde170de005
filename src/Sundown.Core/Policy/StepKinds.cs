namespace Sundown.Core.Policy;

/// <summary>Names and properties of <see cref="StepKind"/>.</summary>
public static class StepKinds
{
    /// <summary>The word in configs, plans and the JSON contract ("acpi", "save", …).</summary>
    /// <remarks>Written out, not derived from the member's name: a stop asks for it at every step.</remarks>
    public static string ToName(this StepKind kind) => kind switch
    {
        StepKind.Agent => "agent",
        StepKind.Acpi => "acpi",
        StepKind.Save => "save",
        StepKind.Destroy => "destroy",
        StepKind.Resume => "resume",
        StepKind.Wakeup => "wakeup",
        StepKind.Snapshot => "snapshot",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static StepKind? FromName(string name) => name switch
    {
        "agent" => StepKind.Agent,
        "acpi" => StepKind.Acpi,
        "save" => StepKind.Save,
        "destroy" => StepKind.Destroy,
        _ => null,
    };

    /// <summary>A step that asks the guest to shut itself down and waits, up to a timeout, for it to do so.</summary>
    public static bool IsGraceful(this StepKind kind) => kind is StepKind.Agent or StepKind.Acpi;
}
