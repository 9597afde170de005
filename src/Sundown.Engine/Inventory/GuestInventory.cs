using Sundown.Core.Doctor;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Hosts;

namespace Sundown.Engine.Inventory;

/// <summary>The guests of the open hosts with their policies, and those whose own policy element was set aside.</summary>
/// <param name="Guests">Every guest (of the <c>--only</c> set, when given), with its resolved policy.</param>
/// <param name="InvalidPolicies">Guests whose <c>&lt;sundown:policy&gt;</c> is invalid: they are in <paramref name="Guests"/> with the config's policy.</param>
/// <param name="Unlisted">Hosts that opened but failed to list their guests: none of their guests is in <paramref name="Guests"/>.</param>
public sealed record GuestInventory(
    IReadOnlyList<(Guest Guest, GuestPolicy Policy)> Guests, IReadOnlyList<GuestProblem> InvalidPolicies, IReadOnlyList<UnreachableHost> Unlisted)
{
    /// <summary>Guests whose metadata names hooks that were ignored (trust_guest_hooks = false), each with the warning that names it.</summary>
    public IReadOnlyList<GuestProblem> IgnoredHooks { get; init; } = [];

    /// <summary>The warning for one set-aside policy element, as every command prints it.</summary>
    public static string Warning(GuestProblem problem) =>
        $"the sundown policy in the domain XML of '{problem.Guest.Name}' is invalid ({problem.Message}): using the config's policy for it";
}
