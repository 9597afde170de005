using Sundown.Core.Config;
using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

/// <summary>A rack on one UPS in the config: [ups] role, user, password, fsd, and [[ups.secondary]].</summary>
public sealed class UpsRackConfigParserTests
{
    private const string File = "/etc/sundown/sundown.toml";

    [Fact]
    public void A_primary_reads_its_role_credentials_fsd_and_every_secondary_in_file_order()
    {
        var config = ConfigParser.Parse("""
            [ups]
            name = "rackups@nut.lan:3494"
            margin = "3m"
            role = "primary"
            user = "upsprimary"
            password = "s3cret pass#1"
            fsd = true

            [[ups.secondary]]
            host = "db1"
            needs = "4m"
            margin = "90s"

            [[ups.secondary]]
            host = "web2"
            needs = "45s"
            """, File);

        var ups = config.Ups!;
        Assert.Equal(new UpsName("rackups", "nut.lan", 3494), ups.Name);
        Assert.Equal(TimeSpan.FromMinutes(3), ups.Margin);
        Assert.Equal(PowerReturn.Default, ups.OnPowerReturn);
        Assert.Equal(UpsRole.Primary, ups.Role);
        Assert.Equal(new UpsCredentials("upsprimary", "s3cret pass#1"), ups.Credentials);
        Assert.True(ups.SetsForcedShutdown);
        // The second one keeps the default margin, a minute.
        Assert.Equal(
            [new RackHost("db1", TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(90)), new RackHost("web2", TimeSpan.FromSeconds(45), UpsConfig.DefaultMargin)],
            ups.Secondaries);
    }

    [Fact]
    public void A_secondary_reads_its_role_and_credentials_and_sets_no_fsd_and_lists_no_hosts()
    {
        var config = ConfigParser.Parse("""
            [ups]
            name = "rackups@10.0.0.1"
            margin = "45s"
            on_power_return = "nothing"
            role = "secondary"
            user = "upssecondary"
            password = "pw"
            """, File);

        var ups = config.Ups!;
        Assert.Equal(new UpsName("rackups", "10.0.0.1", UpsName.DefaultPort), ups.Name);
        Assert.Equal(TimeSpan.FromSeconds(45), ups.Margin);
        Assert.Equal(PowerReturn.Nothing, ups.OnPowerReturn);
        Assert.Equal(UpsRole.Secondary, ups.Role);
        Assert.Equal(new UpsCredentials("upssecondary", "pw"), ups.Credentials);
        Assert.False(ups.SetsForcedShutdown);
        Assert.Empty(ups.Secondaries);
    }

    [Fact]
    public void Without_role_a_host_is_standalone_with_no_credentials_no_fsd_and_no_secondaries()
    {
        var ups = ConfigParser.Parse("[ups]\nname = \"u@h\"\n", File).Ups!;

        Assert.Equal(UpsRole.Standalone, ups.Role);
        Assert.Null(ups.Credentials);
        Assert.False(ups.SetsForcedShutdown);
        Assert.Empty(ups.Secondaries);
    }

    [Fact]
    public void A_primary_without_fsd_needs_no_credentials_and_may_still_list_its_secondaries_before_or_after_ups()
    {
        // TOML allows [[ups.secondary]] before [ups]: the parser gathers them whatever the order.
        var ups = ConfigParser.Parse("[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"\n\n[ups]\nname = \"u@h\"\nrole = \"primary\"\nfsd = false\n", File).Ups!;

        Assert.Equal(UpsRole.Primary, ups.Role);
        Assert.Null(ups.Credentials);
        Assert.False(ups.SetsForcedShutdown);
        Assert.Equal([new RackHost("db1", TimeSpan.FromMinutes(2), UpsConfig.DefaultMargin)], ups.Secondaries);
    }

    [Fact]
    public void Credentials_and_the_ups_config_never_print_the_password()
    {
        var ups = ConfigParser.Parse("[ups]\nname = \"u@h\"\nrole = \"secondary\"\nuser = \"upssecondary\"\npassword = \"hunter2-s3cret\"\n", File).Ups!;

        Assert.Equal("upssecondary", ups.Credentials!.ToString());
        Assert.Equal("upssecondary", $"{ups.Credentials}");
        Assert.DoesNotContain("hunter2-s3cret", ups.Credentials.ToString(), StringComparison.Ordinal);
        // The record's own ToString prints its members, the credentials through theirs.
        Assert.Contains("upssecondary", ups.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-s3cret", ups.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-s3cret", new UpsCredentials("u", "hunter2-s3cret").ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"master\"", 3, 8, "role: 'master' is not standalone, primary or secondary")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = 1", 3, 8, "role: expected a string")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"upsmon\"", 1, 1, "[ups] has user without password, or password without user")]
    [InlineData("[ups]\nname = \"u@h\"\npassword = \"pw\"", 1, 1, "[ups] has user without password, or password without user")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"ups mon\"\npassword = \"pw\"", 3, 8, "user: 'ups mon' is not a upsd.users user name")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"\"\npassword = \"pw\"", 3, 8, "user: '' is not a upsd.users user name")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"upsmon\"\npassword = \"\"", 4, 12, "password: empty, or with a character other than printable ASCII")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"upsmon\"\npassword = \"pw\\nINSTCMD\"", 4, 12, "password: empty, or with a character other than printable ASCII")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"upsmon\"\npassword = \"pässwort\"", 4, 12, "password: empty, or with a character other than printable ASCII")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"secondary\"", 1, 1, "[ups] role = \"secondary\" needs user and password")]
    [InlineData("\n[ups]\nname = \"u@h\"\nrole = \"secondary\"\nuser = \"upsmon\"", 2, 1, "[ups] has user without password")]
    [InlineData("[ups]\nname = \"u@h\"\nuser = \"upsmon\"\npassword = \"pw\"\nfsd = true", 5, 7, "fsd: only the primary sets FSD (role = \"primary\")")]
    [InlineData("[ups]\nname = \"u@h\"\nfsd = true\nrole = \"secondary\"\nuser = \"upsmon\"\npassword = \"pw\"", 3, 7, "fsd: only the primary sets FSD")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\nfsd = true", 4, 7, "fsd = true needs user and password")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\nfsd = \"yes\"", 4, 7, "fsd: expected true or false")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\nrole = \"secondary\"", 4, 1, "'role' appears twice in [ups]")]
    [InlineData("[ups]\nname = \"u@h\"\nusername = \"upsmon\"", 3, 1, "unknown key 'username' in [ups] (expected name, margin, on_power_return, role, user, password, fsd)")]
    [InlineData("budget = \"5m\"\n\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"", 3, 1, "[[ups.secondary]] without [ups]")]
    [InlineData("[ups]\nname = \"u@h\"\n\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"", 4, 1, "[[ups.secondary]] on a host whose [ups] role is \"standalone\"")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"secondary\"\nuser = \"upsmon\"\npassword = \"pw\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"", 6, 1, "[[ups.secondary]] on a host whose [ups] role is \"secondary\"")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"\n[[ups.secondary]]\nhost = \"web2\"\nneeds = \"1m\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"3m\"", 10, 1, "[[ups.secondary]] host \"db1\" appears twice")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nneeds = \"2m\"", 4, 1, "[[ups.secondary]] needs host (its name, for the messages) and needs")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nhost = \"db1\"", 4, 1, "[[ups.secondary]] needs host (its name, for the messages) and needs")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"soon\"", 6, 9, "needs: ")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"\nmargin = 30", 7, 10, "margin: expected a string")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.secondary]]\nhost = \"db1\"\nneeds = \"2m\"\nhostsync = \"30s\"", 7, 1, "unknown key 'hostsync' in [[ups.secondary]] (expected host, needs, margin)")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[ups.secondary]\nhost = \"db1\"\nneeds = \"2m\"", 4, 1, "unknown table [ups.secondary]")]
    [InlineData("[ups]\nname = \"u@h\"\nrole = \"primary\"\n[[ups.primary]]\nhost = \"db1\"", 4, 1, "unknown table [[ups.primary]]")]
    public void A_bad_rack_config_is_refused_with_file_line_column_and_what_was_expected(string toml, int line, int column, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigParser.Parse(toml, File));

        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.StartsWith($"{File}:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_password_is_never_in_the_message()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigParser.Parse("[ups]\nname = \"u@h\"\nuser = \"upsmon\"\npassword = \"hunter2\\n\"", File));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
