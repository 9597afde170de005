namespace Sundown.Engine.Reports;

/// <summary>
/// Something around the guests that went wrong during a run and was worked around: a config
/// that did not parse, a guest's bad policy element, a journal that could not be written, a host
/// that could not be reached. It never ends a stop; it is printed at priority err, kept in the
/// run's report (<c>"faults"</c> in the JSON) and weighs on the exit status where a guest paid for it.
/// </summary>
/// <param name="Kind">One of the <see cref="FaultKinds"/> words.</param>
/// <param name="Subject">What it is about: a file, a host's URI, a guest's name; null for the run as a whole.</param>
/// <param name="Message">What happened and what was done instead, for the operator.</param>
public sealed record Fault(string Kind, string? Subject, string Message);
