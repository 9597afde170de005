using System.Collections.Immutable;

namespace Sundown.Core.Policy;

/// <summary>
/// The steps tried in turn to stop a guest. It always ends with <c>destroy</c>: nothing is left
/// running at the deadline, so a ladder written without it gets it added.
/// </summary>
public sealed record StopLadder
{
    private StopLadder(ImmutableArray<LadderStep> steps) => Steps = steps;

    public ImmutableArray<LadderStep> Steps { get; }

    public static StopLadder Default { get; } = new([new LadderStep(StepKind.Acpi, LadderStep.DefaultGracefulTimeout), new LadderStep(StepKind.Destroy, null)]);

    /// <summary>Builds a ladder from its written steps; null with a reason when they do not make one.</summary>
    public static StopLadder? TryCreate(IReadOnlyList<string> written, out string? error)
    {
        error = null;
        if (written.Count == 0)
        {
            error = "a stop ladder needs at least one step";
            return null;
        }

        var steps = ImmutableArray.CreateBuilder<LadderStep>();
        foreach (string text in written)
        {
            var step = LadderStep.TryParse(text, out error);
            if (step is null)
            {
                return null;
            }

            if (steps.Any(s => s.Kind == step.Kind))
            {
                error = $"'{step.Kind.ToName()}' appears twice in the ladder";
                return null;
            }

            if (steps.Count > 0 && steps[^1].Kind == StepKind.Destroy)
            {
                error = "'destroy' must be the last step: nothing can follow a power-off";
                return null;
            }

            steps.Add(step);
        }

        if (steps[^1].Kind != StepKind.Destroy)
        {
            steps.Add(new LadderStep(StepKind.Destroy, null));
        }

        return new StopLadder(steps.ToImmutable());
    }

    public static StopLadder Create(params string[] written) =>
        TryCreate(written, out string? error) ?? throw new FormatException(error);

    public bool Contains(StepKind kind) => Steps.Any(step => step.Kind == kind);

    public bool Equals(StopLadder? other) => other is not null && Steps.SequenceEqual(other.Steps);

    public override int GetHashCode() => Steps.Aggregate(0, (hash, step) => HashCode.Combine(hash, step));

    public override string ToString() => string.Join(" → ", Steps);
}
