namespace Sundown.Engine.Journaling;

/// <summary>One guest of a run, as the journal holds it.</summary>
/// <param name="Uri">The libvirt connection URI of the guest's host.</param>
/// <param name="Uuid">The guest's identity; names can change between runs.</param>
/// <param name="Name">The name when the run began, for reports.</param>
/// <param name="InitialState">The state when the run began, as the contract word (<c>"running"</c>, <c>"paused"</c>, …).</param>
/// <param name="Order">The guest's start order: stops run in reverse.</param>
/// <param name="Restore">On the restore list: the next start brings it back.</param>
/// <param name="Outcome">How it ended; null while the run has not finished with it.</param>
/// <param name="Seconds">How long the run spent on it; null while unfinished.</param>
public sealed record RunGuestRecord(
    string Uri,
    string Uuid,
    string Name,
    string InitialState,
    int Order,
    bool Restore,
    GuestOutcome? Outcome,
    double? Seconds);
