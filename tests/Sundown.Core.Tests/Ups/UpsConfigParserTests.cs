using Sundown.Core.Config;
using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

/// <summary>The config's <c>[ups]</c> table.</summary>
public sealed class UpsConfigParserTests
{
    private const string File = "/etc/sundown/sundown.toml";

    [Fact]
    public void Every_key_is_read()
    {
        var config = ConfigParser.Parse("""
            budget = "5m"

            [ups]
            name = "myups@nut.lan:3494"
            margin = "90s"
            on_power_return = "start 10m"
            """, File);

        Assert.Equal(new UpsConfig(new UpsName("myups", "nut.lan", 3494), TimeSpan.FromSeconds(90), new PowerReturn(TimeSpan.FromMinutes(10))), config.Ups);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Budget);
    }

    [Fact]
    public void Only_the_name_is_required_the_margin_is_a_minute_and_the_guests_start_after_five_minutes_of_power()
    {
        var config = ConfigParser.Parse("[ups]\nname = \"myups@localhost\"\n", File);

        Assert.Equal(new UpsName("myups", "localhost", UpsName.DefaultPort), config.Ups!.Name);
        Assert.Equal(TimeSpan.FromSeconds(60), config.Ups.Margin);
        Assert.Equal(UpsConfig.DefaultMargin, config.Ups.Margin);
        Assert.Equal(PowerReturn.Default, config.Ups.OnPowerReturn);
    }

    [Fact]
    public void Nothing_on_power_return_is_read()
    {
        var config = ConfigParser.Parse("[ups]\nname = \"u@h\"\non_power_return = \"nothing\"\n", File);

        Assert.Equal(PowerReturn.Nothing, config.Ups!.OnPowerReturn);
    }

    [Fact]
    public void Without_the_table_there_is_no_ups()
    {
        Assert.Null(ConfigParser.Parse("budget = \"5m\"\n", File).Ups);
        Assert.Null(ConfigParser.Parse("", File).Ups);
        Assert.Null(SundownConfig.Default.Ups);
    }

    [Theory]
    [InlineData("[ups]\nmargin = \"30s\"", 1, 1, "[ups] needs name")]
    [InlineData("[ups]", 1, 1, "[ups] needs name")]
    [InlineData("budget = \"5m\"\n\n[ups]\nname = \"myups\"", 4, 8, "name: 'myups' is not a UPS (expected NAME@HOST[:PORT]")]
    [InlineData("[ups]\nname = \"myups@host:99999\"", 2, 8, "name: 'myups@host:99999': '99999' is not a port")]
    [InlineData("[ups]\nname = 3493", 2, 8, "name: expected a string")]
    [InlineData("[ups]\nname = \"u@h\"\nmargin = \"a minute\"", 3, 10, "is not a duration")]
    [InlineData("[ups]\nname = \"u@h\"\nmargin = 60", 3, 10, "margin")]
    [InlineData("[ups]\nname = \"u@h\"\non_power_return = \"reboot\"", 3, 19, "on_power_return: 'reboot' is not \"start DUR\"")]
    [InlineData("[ups]\nname = \"u@h\"\non_power_return = \"start soon\"", 3, 19, "on_power_return: 'soon' is not a duration")]
    [InlineData("[ups]\nname = \"u@h\"\nusername = \"monuser\"", 3, 1, "unknown key 'username' in [ups] (expected name, margin, on_power_return, role, user, password, fsd)")]
    [InlineData("[ups]\nname = \"u@h\"\n[ups]\nname = \"v@h\"", 3, 1, "[ups] appears twice")]
    [InlineData("[[ups]]\nname = \"u@h\"", 1, 1, "unknown table [[ups]]")]
    [InlineData("ups = \"u@h\"", 1, 1, "unknown key 'ups'")]
    public void A_bad_ups_table_is_refused_with_file_line_column_and_what_was_expected(string toml, int line, int column, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigParser.Parse(toml, File));

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }
}
