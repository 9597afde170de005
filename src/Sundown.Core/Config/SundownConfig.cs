using System.Collections.Immutable;
using Sundown.Core.Policy;

namespace Sundown.Core.Config;

/// <summary>The whole configuration: <c>/etc/sundown/sundown.toml</c>, or the defaults when there is none.</summary>
/// <param name="Budget">The time the whole stop may take; null for no overall deadline.</param>
/// <param name="Rules">The <c>[[guest]]</c> rules, in file order; later matches override earlier ones.</param>
public sealed record SundownConfig(
    ImmutableArray<string> Connect,
    TimeSpan? Budget,
    Limits Limits,
    GuestPolicy Defaults,
    ImmutableArray<GuestRule> Rules)
{
    public const string DefaultUri = "qemu:///system";

    public static SundownConfig Default { get; } = new([DefaultUri], null, Limits.Default, GuestPolicy.Default, []);
}
