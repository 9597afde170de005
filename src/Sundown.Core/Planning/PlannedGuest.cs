using System.Collections.Immutable;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Planning;

/// <summary>What a stop will do to one guest.</summary>
/// <param name="Steps">The ladder as it will run: preparations added, impossible steps removed, timeouts fitted to the budget.</param>
/// <param name="AtRisk">True when the budget shrank its graceful steps or dropped its save: it may be forced off.</param>
/// <param name="Notes">Why the steps differ from the policy's ladder, in words for the operator.</param>
public sealed record PlannedGuest(Guest Guest, GuestPolicy Policy, ImmutableArray<PlannedStep> Steps, bool AtRisk, ImmutableArray<string> Notes)
{
    public TimeSpan WorstCaseEnd => Steps.Length == 0 ? TimeSpan.Zero : Steps[^1].WorstCaseStart + Steps[^1].Duration;
}
