using System.Collections.Immutable;
using System.Globalization;
using Sundown.Core.Ups;

namespace Sundown.Nut;

/// <summary>
/// A UPS read from upsd: one connection, <c>LIST VAR</c>, <c>LOGOUT</c>, each reading on its own
/// connection (upsd drops idle clients, and a reading every few seconds is cheap).
/// </summary>
public sealed class NutUps(UpsName name, TimeSpan timeout) : IUps
{
    /// <summary>
    /// A reading, connect included, held to 3 s: upsd on the same host answers in milliseconds,
    /// one across a LAN in tens; a stop whose budget is the battery cannot wait on a dead one longer.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    public NutUps(UpsName name)
        : this(name, DefaultTimeout)
    {
    }

    public UpsName Name { get; } = name;

    public async Task<UpsReading> ReadAsync(CancellationToken cancellation)
    {
        // One deadline for the whole reading, not one per exchange: the caller waits at most this.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await using var client = await NutClient.ConnectAsync(Name.Host, Name.Port, timeout, deadline.Token);
            var variables = await client.ListVarAsync(Name.Ups, deadline.Token);
            return Parse(variables);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw TimedOut(null);
        }
        catch (UpsException e) when (e.Kind == UpsErrorKind.Timeout && !cancellation.IsCancellationRequested)
        {
            // The client's own timeout of an exchange (also `timeout`) can fire before this
            // deadline when the timer thread runs late: either way the reading took `timeout`.
            throw TimedOut(e);
        }
    }

    /// <summary>
    /// <c>FSD</c> as <paramref name="credentials"/> (a upsd.users user with <c>upsmon primary</c> or
    /// <c>actions = FSD</c>), on its own connection held to the reader's timeout; no LOGIN, so it
    /// adds nothing to NUMLOGINS, which the primary's upsmon is about to wait on.
    /// </summary>
    /// <exception cref="UpsException">upsd refused (ACCESS-DENIED), is unreachable, or did not answer in time.</exception>
    public Task SetForcedShutdownAsync(UpsCredentials credentials, CancellationToken cancellation) =>
        AsUserAsync(credentials, (client, token) => client.SetForcedShutdownAsync(Name.Ups, token), cancellation);

    /// <summary>
    /// Logs in to the UPS as <paramref name="credentials"/> and out again, held to the reader's
    /// timeout (what doctor asks of a secondary's [ups] user); why it cannot, or null when it can.
    /// </summary>
    public async Task<string?> CheckLoginAsync(UpsCredentials credentials, CancellationToken cancellation)
    {
        try
        {
            await AsUserAsync(credentials, (client, token) => client.LoginAsync(Name.Ups, token), cancellation);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // upsd's ERR, or whatever the connection did: a finding, never a failed doctor.
            return e.Message;
        }
    }

    /// <summary>One connection as <paramref name="credentials"/>, for one command, all of it held to the reader's timeout; LOGOUT after.</summary>
    private async Task AsUserAsync(UpsCredentials credentials, Func<NutClient, CancellationToken, Task> command, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await using var client = await NutClient.ConnectAsync(Name.Host, Name.Port, timeout, deadline.Token);
            await client.AuthenticateAsync(credentials, deadline.Token);
            await command(client, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw TimedOut(null);
        }
    }

    private UpsException TimedOut(UpsException? inner) =>
        new(UpsErrorKind.Timeout, $"upsd at {Name.Host}:{Name.Port} did not answer in {timeout.TotalSeconds:0.#}s (upsd hangs, or a firewall drops what is sent to port {Name.Port})", inner: inner);

    /// <exception cref="UpsException">No ups.status, or a figure that is not a number.</exception>
    internal UpsReading Parse(ImmutableDictionary<string, string> variables)
    {
        if (!variables.TryGetValue("ups.status", out string? status))
        {
            throw new UpsException(UpsErrorKind.Garbage, $"upsd serves no ups.status for {Name}: not a UPS's data");
        }

        return new UpsReading(
            [.. status.Split(' ', StringSplitOptions.RemoveEmptyEntries)],
            Seconds(variables, "battery.runtime"),
            Seconds(variables, "battery.runtime.low"),
            Number(variables, "battery.charge"));
    }

    private TimeSpan? Seconds(ImmutableDictionary<string, string> variables, string name) =>
        Number(variables, name) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>Drivers write "600", "600.00" or "  600"; anything else, or a negative figure, is garbage.</summary>
    private double? Number(ImmutableDictionary<string, string> variables, string name)
    {
        if (!variables.TryGetValue(name, out string? text))
        {
            return null;
        }

        return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && double.IsFinite(value)
            ? value
            : throw new UpsException(UpsErrorKind.Garbage, $"upsd serves {name} = '{NutLine.Shorten(text)}' for {Name}, not a number");
    }
}
