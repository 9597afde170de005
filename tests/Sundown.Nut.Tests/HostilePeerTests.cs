using System.Diagnostics;
using System.Text;
using Sundown.Core.Ups;

namespace Sundown.Nut.Tests;

/// <summary>NutUps and NutClient against peers of the test's own that are not a healthy upsd: every failure a UpsException of its kind, within the timeout.</summary>
public sealed class HostilePeerTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static NutUps Ups(HostilePeer peer, string ups = "sundown") => new(UpsName.TryParse(peer.Name(ups), out _)!, s_timeout);

    [Fact(Timeout = 30_000)]
    public async Task Binary_bytes_are_garbage_and_quoted_printably()
    {
        await using var peer = HostilePeer.Sending([0x00, 0xff, 0x1b, 0x7f, 0x80, (byte)'\n']);

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains($"127.0.0.1:{peer.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not NUT's protocol", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unterminated_quote_is_garbage()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR sundown\nVAR sundown ups.status \"OB\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("no closing quote", error.Message, StringComparison.Ordinal);
        Assert.Contains("VAR sundown ups.status \"OB", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_line_past_the_longest_is_garbage_and_not_read_to_its_end()
    {
        // Far more than MaxLine, and no newline: the client must stop reading at the cap.
        await using var peer = HostilePeer.Start(async (stream, _, cancellation) =>
        {
            var chunk = Encoding.ASCII.GetBytes(new string('A', 4096));
            for (int i = 0; i < 1024; i++)
            {
                await stream.WriteAsync(chunk, cancellation);
            }
        });

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains($"longer than {NutClient.MaxLine} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_list_that_never_ends_is_cut_off_at_its_cap()
    {
        await using var peer = HostilePeer.Start(async (stream, _, cancellation) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("BEGIN LIST VAR sundown\n"), cancellation);
            for (int i = 0; ; i++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"VAR sundown x.{i} \"1\"\n"), cancellation);
            }
        });

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains($"did not end after {NutClient.MaxListLines} lines", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_list_that_stops_without_its_end_times_out()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR sundown\nVAR sundown ups.status \"OB\"\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Timeout, error.Kind);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_list_of_another_ups_is_garbage()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR other\nVAR other ups.status \"OL\"\nEND LIST VAR other\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("expected BEGIN LIST VAR sundown", error.Message, StringComparison.Ordinal);
        Assert.Contains("BEGIN LIST VAR other", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_variable_of_another_ups_inside_the_list_is_garbage()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR sundown\nVAR other ups.status \"OL\"\nEND LIST VAR sundown\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("VAR other ups.status OL", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_get_answered_for_another_variable_is_garbage()
    {
        await using var peer = HostilePeer.Sending("VAR sundown battery.charge \"100\"\n");
        await using var client = await NutClient.ConnectAsync("127.0.0.1", peer.Port, s_timeout, Cancellation);

        var error = await Assert.ThrowsAsync<UpsException>(() => client.GetVarAsync("sundown", "battery.runtime", Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("expected VAR sundown battery.runtime", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_runtime_that_is_not_a_number_is_garbage()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR sundown\nVAR sundown ups.status \"OB\"\nVAR sundown battery.runtime \"soon\"\nEND LIST VAR sundown\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("battery.runtime = 'soon'", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_list_without_ups_status_is_garbage()
    {
        await using var peer = HostilePeer.Sending("BEGIN LIST VAR sundown\nVAR sundown battery.runtime \"600\"\nEND LIST VAR sundown\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains("no ups.status", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_err_reply_is_refused_with_its_code_and_what_it_means()
    {
        await using var peer = HostilePeer.Sending("ERR ACCESS-DENIED\n");

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        Assert.Equal((UpsErrorKind.Refused, "ACCESS-DENIED"), (error.Kind, error.Code));
        Assert.Contains("upsd.users", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_peer_that_never_answers_times_out_within_the_timeout()
    {
        await using var peer = HostilePeer.Silent();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        watch.Stop();
        Assert.Equal(UpsErrorKind.Timeout, error.Kind);
        Assert.Contains($"127.0.0.1:{peer.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not answer in 2s", error.Message, StringComparison.Ordinal);
        // Held to its timeout: not much sooner, and not much later (a busy 2-core machine: generous).
        Assert.InRange(watch.Elapsed, s_timeout - TimeSpan.FromMilliseconds(100), s_timeout + TimeSpan.FromSeconds(3));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_single_exchange_with_a_silent_peer_times_out_within_the_clients_timeout()
    {
        await using var peer = HostilePeer.Silent();
        await using var client = await NutClient.ConnectAsync("127.0.0.1", peer.Port, s_timeout, Cancellation);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpsException>(() => client.GetVarAsync("sundown", "ups.status", Cancellation));

        watch.Stop();
        Assert.Equal(UpsErrorKind.Timeout, error.Kind);
        Assert.Contains("GET VAR sundown ups.status", error.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, s_timeout - TimeSpan.FromMilliseconds(100), s_timeout + TimeSpan.FromSeconds(3));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_peer_that_closes_at_once_is_unreachable()
    {
        await using var peer = HostilePeer.Closing();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpsException>(() => Ups(peer).ReadAsync(Cancellation));

        watch.Stop();
        Assert.Equal(UpsErrorKind.Unreachable, error.Kind);
        Assert.Contains($"127.0.0.1:{peer.Port}", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < s_timeout, $"a closed connection is known at once, not at the timeout ({watch.Elapsed})");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_port_where_nothing_listens_is_unreachable_at_once()
    {
        var ups = new NutUps(new UpsName("sundown", "127.0.0.1", Testing.NutServer.FreePort()), s_timeout);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpsException>(() => ups.ReadAsync(Cancellation));

        watch.Stop();
        Assert.Equal(UpsErrorKind.Unreachable, error.Kind);
        Assert.Contains("cannot connect to upsd", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < s_timeout, $"a refused connection is known at once ({watch.Elapsed})");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_well_formed_answer_of_the_peers_own_is_read_with_its_escapes()
    {
        await using var peer = HostilePeer.Start(async (stream, request, cancellation) =>
        {
            string answer = request == "LIST VAR sundown"
                ? "BEGIN LIST VAR sundown\nVAR sundown ups.status \"OB LB\"\nVAR sundown battery.runtime \"  95.00\"\nVAR sundown ups.id \"say \\\"hi\\\" \\\\ ok\"\nEND LIST VAR sundown\n"
                : "ERR UNKNOWN-COMMAND\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), cancellation);
            await Task.Delay(Timeout.Infinite, cancellation);
        });
        await using var client = await NutClient.ConnectAsync("127.0.0.1", peer.Port, s_timeout, Cancellation);

        var variables = await client.ListVarAsync("sundown", Cancellation);
        var reading = await Ups(peer).ReadAsync(Cancellation);

        Assert.Equal("say \"hi\" \\ ok", variables["ups.id"]);
        Assert.True(reading.OnBattery);
        Assert.True(reading.LowBattery);
        Assert.Equal(TimeSpan.FromSeconds(95), reading.Runtime);
        Assert.Null(reading.RuntimeLow);
    }
}
