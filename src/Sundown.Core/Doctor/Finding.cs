namespace Sundown.Core.Doctor;

/// <summary>One thing <c>sundown doctor</c> found: what is wrong, with what, and how to put it right.</summary>
/// <param name="Code">A short, stable name for the kind of problem (<see cref="FindingCodes"/>), for scripts and docs/doctor.md.</param>
/// <param name="Subject">What it is about: the machine, one host, or one guest.</param>
/// <param name="Problem">What is wrong and why it matters at shutdown, in words for the operator.</param>
/// <param name="Fix">What to do about it.</param>
public sealed record Finding(Severity Severity, string Code, FindingSubject Subject, string Problem, string Fix);
