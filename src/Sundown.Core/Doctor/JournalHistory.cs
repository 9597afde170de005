using System.Collections.Immutable;

namespace Sundown.Core.Doctor;

/// <summary>What past runs in the journal say about how long things take on this machine.</summary>
/// <param name="TypicalShutdowns">Each guest's typical graceful shutdown, by UUID; guests without history are absent.</param>
/// <param name="SaveBytesPerSecond">The managed-save speed seen in past runs; null without history.</param>
/// <param name="Unreadable">Why the journal could not be read; null when it was read or there is none.</param>
public sealed record JournalHistory(ImmutableDictionary<string, TimeSpan> TypicalShutdowns, double? SaveBytesPerSecond, string? Unreadable = null)
{
    public static JournalHistory None { get; } = new(ImmutableDictionary<string, TimeSpan>.Empty, null);
}
