using Sundown.Core.Ups;

namespace Sundown.Engine.Tests.Watching;

/// <summary>
/// A UPS that follows a script of readings over the (virtual) time since it was made: what the
/// test's power cut says at each moment; a null reading is a UPS that does not answer.
/// </summary>
internal sealed class ScriptedUps(TimeProvider time, Func<TimeSpan, UpsReading?> script) : IUps
{
    private readonly DateTimeOffset _start = time.GetUtcNow();

    public UpsName Name { get; } = new("sundown", "127.0.0.1", UpsName.DefaultPort);

    /// <summary>The virtual time since the script began.</summary>
    internal TimeSpan Elapsed => time.GetUtcNow() - _start;

    public Task<UpsReading> ReadAsync(CancellationToken cancellation) =>
        script(Elapsed) is { } reading
            ? Task.FromResult(reading)
            : Task.FromException<UpsReading>(new UpsException(UpsErrorKind.Refused, "upsd answered ERR DRIVER-NOT-CONNECTED", "DRIVER-NOT-CONNECTED"));

    internal static UpsReading OnLine() => new(["OL"], TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(30), 100);

    internal static UpsReading OnBattery(double runtimeSeconds) =>
        new(runtimeSeconds <= 30 ? ["OB", "LB"] : ["OB", "DISCHRG"], TimeSpan.FromSeconds(Math.Max(0, runtimeSeconds)), TimeSpan.FromSeconds(30), 50);
}
