namespace Sundown.Cli.Tests.Systemd;

/// <summary>
/// Tests that set <c>NOTIFY_SOCKET</c>: the variable is process-wide, so while one runs, no other
/// test may run a stop (it would notify the wrong socket) or read the variable.
/// </summary>
[CollectionDefinition(nameof(NotifySocketCollection), DisableParallelization = true)]
public sealed class NotifySocketCollection;
