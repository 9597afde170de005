namespace Sundown.Core.Ups;

/// <summary>
/// The port through which the engine reads a UPS, as <see cref="Hosts.IGuestHost"/> is the port to
/// a libvirt host. Sundown.Nut implements it with NUT's network protocol.
/// </summary>
public interface IUps
{
    UpsName Name { get; }

    /// <summary>Reads the UPS's status and battery figures now, in one exchange held to the reader's own timeout.</summary>
    /// <exception cref="UpsException">upsd cannot be reached, did not answer in time, answered an error or garbage.</exception>
    Task<UpsReading> ReadAsync(CancellationToken cancellation);
}
