using Sundown.Core.Config;
using Sundown.Core.Policy;

namespace Sundown.Core.Tests;

public sealed class ConfigParserTests
{
    private const string DesignExample = """
        connect = ["qemu:///system"]
        budget = "5m"

        [limits]
        shutdowns = 0
        saves = 4
        starts = 4

        [defaults]
        stop = ["acpi 2m", "destroy"]
        restore = "previous"
        order = 0
        start_delay = "0s"

        [[guest]]
        match = "db-*"
        order = 10
        stop = ["acpi 5m", "destroy"]

        [[guest]]
        os = "windows"
        stop = ["save", "agent 1m", "acpi 3m", "destroy"]
        """;

    [Fact]
    public void The_example_of_DESIGN_parses_to_what_it_says()
    {
        var config = ConfigParser.Parse(DesignExample, "sundown.toml");

        Assert.Equal(["qemu:///system"], config.Connect);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Budget);
        Assert.Equal(new Limits(0, 4, 4), config.Limits);
        Assert.Equal(new GuestPolicy(StopLadder.Create("acpi 2m", "destroy"), 0, RestoreRule.Previous, TimeSpan.Zero), config.Defaults);
        Assert.Equal(2, config.Rules.Length);
        Assert.Equal(new GuestRule("db-*", null, null, new PolicyOverrides(StopLadder.Create("acpi 5m", "destroy"), 10)), config.Rules[0]);
        Assert.Equal(OsFamily.Windows, config.Rules[1].Os);
        Assert.Equal("save → agent 1m → acpi 3m → destroy", config.Rules[1].Overrides.Stop!.ToString());
    }

    [Fact]
    public void An_empty_file_is_the_defaults()
    {
        Assert.Equal(SundownConfig.Default with { Rules = [] }, ConfigParser.Parse("", "empty.toml"));
    }

    [Fact]
    public void A_ladder_without_destroy_gets_it_as_its_last_step()
    {
        var config = ConfigParser.Parse("[defaults]\nstop = [\"acpi 30s\", \"save\"]\n", "f.toml");

        Assert.Equal(StopLadder.Create("acpi 30s", "save", "destroy"), config.Defaults.Stop);
    }

    [Theory]
    [InlineData("budget = \"5 minutes\"", 1, 10, "budget: '5 minutes' is not a duration")]
    [InlineData("budgte = \"5m\"", 1, 1, "unknown key 'budgte'")]
    [InlineData("[limits]\nsaves = -1", 2, 9, "saves: expected 0 (no limit) or more")]
    [InlineData("[limits]\nsave = 2", 2, 1, "unknown key 'save' in [limits]")]
    [InlineData("[defaults]\nstop = [\"acpi 2m\", \"reboot\"]", 2, 8, "'reboot' is not a step")]
    [InlineData("[defaults]\nstop = [\"destroy\", \"acpi 2m\"]", 2, 8, "'destroy' must be the last step")]
    [InlineData("[defaults]\nstop = [\"save 2m\"]", 2, 8, "only agent and acpi take a timeout")]
    [InlineData("[defaults]\nrestore = \"sometimes\"", 2, 11, "'sometimes' is not previous, always or never")]
    [InlineData("[[guest]]\norder = 5", 1, 1, "a [[guest]] rule needs match, uuid or os")]
    [InlineData("[[guest]]\nos = \"beos\"", 2, 6, "'beos' is not an OS family")]
    [InlineData("[[guest]]\nuuid = \"not-a-uuid\"", 2, 8, "is not a UUID")]
    [InlineData("[limits]\n[limits]", 2, 1, "[limits] appears twice")]
    [InlineData("budget = \"5m\"\nbudget = \"6m\"", 2, 1, "")]
    [InlineData("limits.saves = 2", 1, 1, "dotted keys")]
    [InlineData("connect = [1, 2]", 1, 12, "connect: expected a string")]
    [InlineData("budget = \"5m", 1, 12, "")]
    [InlineData("trust_guest_metadata = \"no\"", 1, 24, "trust_guest_metadata: expected true or false")]
    public void A_bad_file_is_refused_with_file_line_column_and_what_was_expected(string toml, int line, int column, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigParser.Parse(toml, "/etc/sundown/sundown.toml"));

        Assert.Equal("/etc/sundown/sundown.toml", error.File);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"/etc/sundown/sundown.toml:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Guest_metadata_is_trusted_unless_the_file_says_otherwise()
    {
        var unsaid = ConfigParser.Parse("budget = \"5m\"", "f.toml");

        var distrusted = ConfigParser.Parse("trust_guest_metadata = false", "f.toml");
        var trusted = ConfigParser.Parse("trust_guest_metadata = true", "f.toml");

        Assert.True(unsaid.TrustGuestMetadata);
        Assert.True(SundownConfig.Default.TrustGuestMetadata);
        Assert.False(distrusted.TrustGuestMetadata);
        Assert.True(trusted.TrustGuestMetadata);
    }
}
