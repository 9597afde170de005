using Sundown.Core.Config;

namespace Sundown.Engine.Doctor;

/// <summary>What <c>sundown doctor</c> was asked to examine.</summary>
/// <param name="ConfigPath">--config, or null for the default file (absent = defaults).</param>
/// <param name="Uris">The -c hosts; empty for the config's.</param>
/// <param name="RunningBinary">The sundown binary running now, to compare with the one the unit runs; null when unknown.</param>
public sealed record DoctorRequest(string? ConfigPath, IReadOnlyList<string> Uris, DoctorPaths Paths, string StateDirectory, string? RunningBinary)
{
    /// <summary>The libvirt library's version, when the caller knows it (the binding does).</summary>
    public ulong? LibvirtVersion { get; init; }

    /// <summary>
    /// On a rack's secondary: logs in to the config's UPS as its [ups] user and out again, held to
    /// the reader's timeout; the reason it cannot, or null when it can. Null: not checked.
    /// </summary>
    public Func<SundownConfig, Task<string?>>? CheckUpsLogin { get; init; }
}
