using System.Runtime.InteropServices;

namespace Sundown.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM turned into a cancellation: the process stays alive so that a stop or
/// start can stop issuing steps, journal what was done and exit 130.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    internal Interruption()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
    }

    internal CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _source.Dispose();
    }

    private void Interrupt(PosixSignalContext context)
    {
        context.Cancel = true;
        _source.Cancel();
    }
}
