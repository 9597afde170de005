namespace Sundown.Cli.Rendering;

/// <summary>One colour per kind of step, the same on a terminal and in the SVG timeline.</summary>
internal static class StepColors
{
    internal static string Hex(string action) => action switch
    {
        "acpi" => "#4e79a7",
        "agent" => "#76b7b2",
        "save" => "#f28e2b",
        "destroy" => "#e15759",
        "start" => "#59a14f",
        "snapshot" => "#b07aa1",
        _ => "#9c9c9c",
    };

    /// <summary>An ANSI 256-colour background close to <see cref="Hex"/>.</summary>
    internal static int Ansi(string action) => action switch
    {
        "acpi" => 67,
        "agent" => 73,
        "save" => 209,
        "destroy" => 167,
        "start" => 71,
        "snapshot" => 139,
        _ => 247,
    };

    /// <summary>The letter that stands for the step where there is no colour (a log, a pipe).</summary>
    internal static char Letter(string action) => action switch
    {
        "acpi" => 'a',
        "agent" => 'g',
        "save" => 's',
        "destroy" => 'D',
        "start" => '+',
        "resume" => 'r',
        "wakeup" => 'w',
        "snapshot" => 'n',
        _ => '?',
    };

    internal static readonly string[] Legend = ["acpi", "agent", "save", "destroy", "resume", "start"];
}
