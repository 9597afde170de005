using Sundown.Core.Ups;
using Sundown.Testing;

namespace Sundown.Nut.Tests;

/// <summary>
/// The rack's protocol against a real upsd (tests/nut/nut.sh's upsd.users): a secondary's login,
/// counted in NUMLOGINS until it logs out, held by <see cref="NutLogin"/>; FSD set by a user allowed
/// to, refused to one who is not.
/// </summary>
public sealed class UpsdLoginTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);

    /// <summary>nut.sh's upsmon-secondary user; its password has a space and quotes.</summary>
    private static readonly UpsCredentials s_secondary = new("sundown", "two \"words\"");

    private static readonly UpsCredentials s_primary = new("rackprimary", "primary");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task A_login_counts_in_numlogins_until_it_logs_out_and_a_wrong_password_or_a_user_without_upsmon_is_refused()
    {
        await using var server = await NutServer.StartAsync();
        await using var reader = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        Assert.Equal(0, await reader.NumLoginsAsync("sundown", Cancellation));

        var login = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        await login.AuthenticateAsync(s_secondary, Cancellation);
        await login.LoginAsync("sundown", Cancellation);
        int during = await reader.NumLoginsAsync("sundown", Cancellation);
        await login.DisposeAsync();
        int after = await WaitForLoginsAsync(reader, 0);

        await using var wrong = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        await wrong.AuthenticateAsync(s_secondary with { Password = "two words" }, Cancellation);
        var refused = await Assert.ThrowsAsync<UpsException>(() => wrong.LoginAsync("sundown", Cancellation));
        await using var noRights = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        await noRights.AuthenticateAsync(new UpsCredentials("reader", "reader"), Cancellation);
        var noLogin = await Assert.ThrowsAsync<UpsException>(() => noRights.LoginAsync("sundown", Cancellation));
        await using var anonymous = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        var noUser = await Assert.ThrowsAsync<UpsException>(() => anonymous.LoginAsync("sundown", Cancellation));

        Assert.Equal((1, 0), (during, after));
        Assert.Equal((UpsErrorKind.Refused, "ACCESS-DENIED"), (refused.Kind, refused.Code));
        Assert.DoesNotContain("two words", refused.Message, StringComparison.Ordinal);
        Assert.Equal("ACCESS-DENIED", noLogin.Code);
        Assert.Equal("USERNAME-REQUIRED", noUser.Code);
        Assert.Equal(0, await reader.NumLoginsAsync("sundown", Cancellation));
    }

    [Fact(Timeout = 120_000)]
    public async Task Nut_login_holds_one_login_across_a_restart_of_upsd_and_gives_it_up_when_disposed()
    {
        await using var server = await NutServer.StartAsync();
        var events = new List<WatchEvent>();
        var login = NutLogin.Hold(UpsName.TryParse(server.Name, out _)!, s_secondary, s_timeout, e => { lock (events) { events.Add(e); } });
        await using var reader = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        int held = await WaitForLoginsAsync(reader, 1);
        string state = login.State;

        // upsd goes and comes back (a restart, or a host across a switch): the login is made again.
        await server.StopAsync();
        await server.StartUpsdAsync();
        await using var again = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);
        int heldAgain = await WaitForLoginsAsync(again, 1, TimeSpan.FromSeconds(30));

        await login.DisposeAsync();
        int after = await WaitForLoginsAsync(again, 0);

        Assert.Equal((1, 1, 0), (held, heldAgain, after));
        Assert.StartsWith("held as sundown since ", state, StringComparison.Ordinal);
        lock (events)
        {
            Assert.Contains(events, e => e.Severity == WatchSeverity.Error && e.Message.Contains("cannot hold a login on the UPS", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Message.Contains("as sundown again", StringComparison.Ordinal));
            Assert.DoesNotContain(events, e => e.Message.Contains("words", StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Fsd_is_set_by_a_user_allowed_to_and_refused_to_one_who_is_not_and_adds_no_login()
    {
        await using var server = await NutServer.StartAsync();
        var ups = new NutUps(UpsName.TryParse(server.Name, out _)!, s_timeout);

        var refused = await Assert.ThrowsAsync<UpsException>(() => ups.SetForcedShutdownAsync(s_secondary, Cancellation));
        var before = await ups.ReadAsync(Cancellation);
        await ups.SetForcedShutdownAsync(s_primary, Cancellation);
        var after = await ups.ReadAsync(Cancellation);
        await using var reader = await NutClient.ConnectAsync("127.0.0.1", server.Port, s_timeout, Cancellation);

        Assert.Equal("ACCESS-DENIED", refused.Code);
        Assert.False(before.ForcedShutdown);
        Assert.True(after.ForcedShutdown, after.StatusText);
        Assert.Equal(0, await reader.NumLoginsAsync("sundown", Cancellation));
    }

    private static async Task<int> WaitForLoginsAsync(NutClient client, int expected, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        int count;
        while ((count = await client.NumLoginsAsync("sundown", Cancellation)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Cancellation);
        }

        return count;
    }
}
