using Sundown.Core.Model;

namespace Sundown.Core.Doctor;

/// <summary>A guest whose own policy (its sundown metadata) is invalid; doctor checked it with the config's policy.</summary>
public sealed record GuestProblem(Guest Guest, string Message);
