using System.Collections.Immutable;
using Sundown.Core.Hooks;

namespace Sundown.Engine.Hooks;

/// <summary>One hook to run.</summary>
/// <param name="Variables">The SUNDOWN_* variables, added to the clean environment (<see cref="HookRunner.BaseEnvironment"/>).</param>
/// <param name="KillAt">When it is sent SIGTERM (its process group), then SIGKILL after <see cref="HookRunner.KillGrace"/>.</param>
public sealed record HookRequest(
    HookKind Kind,
    HookCommand Command,
    ImmutableArray<KeyValuePair<string, string>> Variables,
    DateTimeOffset KillAt,
    string? Uri = null,
    string? Uuid = null,
    string? Guest = null);
