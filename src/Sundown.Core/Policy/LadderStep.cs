using Sundown.Core.Config;

namespace Sundown.Core.Policy;

/// <summary>One rung of a stop ladder: <c>acpi 2m</c>, <c>save</c>, <c>destroy</c>.</summary>
/// <param name="Timeout">How long a graceful step waits for the guest; null for save and destroy.</param>
public sealed record LadderStep(StepKind Kind, TimeSpan? Timeout)
{
    /// <summary>A graceful step written without a timeout waits this long.</summary>
    public static readonly TimeSpan DefaultGracefulTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Parses <c>"acpi 2m"</c>; null with a reason when the text is not a step.</summary>
    public static LadderStep? TryParse(string text, out string? error)
    {
        error = null;
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length is 0 or > 2 || StepKinds.FromName(words[0]) is not { } kind)
        {
            error = $"'{text}' is not a step: expected agent, acpi, save or destroy, with a timeout for agent and acpi (\"acpi 2m\")";
            return null;
        }

        if (words.Length == 1)
        {
            return new LadderStep(kind, kind.IsGraceful() ? DefaultGracefulTimeout : null);
        }

        if (!kind.IsGraceful())
        {
            error = $"'{text}': only agent and acpi take a timeout ({kind.ToName()} ends when it is done)";
            return null;
        }

        var timeout = Durations.TryParse(words[1], out error);
        if (timeout is null)
        {
            return null;
        }

        if (timeout <= TimeSpan.Zero)
        {
            error = $"'{text}': the timeout must be more than zero";
            return null;
        }

        return new LadderStep(kind, timeout);
    }

    public override string ToString() => Timeout is { } t ? $"{Kind.ToName()} {Durations.Format(t)}" : Kind.ToName();
}
