using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Tests;

public sealed class PolicyResolverTests
{
    private static readonly SundownConfig s_config = ConfigParser.Parse("""
        [defaults]
        stop = ["acpi 2m"]

        [[guest]]
        match = "db-*"
        order = 10
        stop = ["acpi 5m"]

        [[guest]]
        os = "windows"
        stop = ["save", "acpi 3m"]

        [[guest]]
        match = "db-[ab]?"
        restore = "always"

        [[guest]]
        uuid = "6695EB01-F6A4-8304-79AA-97F2502E193F"
        start_delay = "30s"
        """, "t.toml");

    [Fact]
    public void A_guest_no_rule_matches_gets_the_defaults()
    {
        var policy = PolicyResolver.Resolve(Guest("web-1"), s_config, null);

        Assert.Equal(s_config.Defaults, policy);
    }

    [Fact]
    public void Every_matching_rule_applies_in_file_order()
    {
        var policy = PolicyResolver.Resolve(Guest("db-a1", os: "http://microsoft.com/win/2k22"), s_config, null);

        Assert.Equal(new GuestPolicy(StopLadder.Create("save", "acpi 3m"), 10, RestoreRule.Always, TimeSpan.Zero), policy);
    }

    [Fact]
    public void Uuid_rules_match_whatever_the_case()
    {
        var policy = PolicyResolver.Resolve(Guest("x", uuid: "6695eb01-f6a4-8304-79aa-97f2502e193f"), s_config, null);

        Assert.Equal(TimeSpan.FromSeconds(30), policy.StartDelay);
    }

    [Fact]
    public void The_guests_own_metadata_wins_over_the_file()
    {
        const string metadata = """<policy xmlns="https://sundown.dev/xmlns/policy/1" order="99" stop="agent 10s, save"/>""";

        var policy = PolicyResolver.Resolve(Guest("db-main"), s_config, metadata);

        Assert.Equal(new GuestPolicy(StopLadder.Create("agent 10s", "save"), 99, RestoreRule.Previous, TimeSpan.Zero), policy);
    }

    [Theory]
    [InlineData("<policy order=\"ten\"/>", "order: 'ten' is not a whole number")]
    [InlineData("<policy stop=\"shutdown\"/>", "'shutdown' is not a step")]
    [InlineData("<policy colour=\"red\"/>", "colour: unknown attribute")]
    [InlineData("<rules/>", "must be a <policy> element")]
    [InlineData("<policy", "not well-formed")]
    public void Bad_metadata_is_an_error_naming_the_guest(string metadata, string problem)
    {
        var error = Assert.Throws<FormatException>(() => PolicyResolver.Resolve(Guest("web \"1\""), s_config, metadata));

        Assert.Contains("guest 'web \"1\"'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_that_does_not_trust_guest_metadata_ignores_it_even_when_invalid()
    {
        var distrusting = s_config with { TrustGuestMetadata = false };
        const string metadata = """<policy xmlns="https://sundown.dev/xmlns/policy/1" order="99" stop="agent 10s, save"/>""";
        const string invalid = """<policy xmlns="https://sundown.dev/xmlns/policy/1" stop="acpi soon, destroy"/>""";

        var policy = PolicyResolver.Resolve(Guest("db-main"), distrusting, metadata);
        var fromInvalid = PolicyResolver.Resolve(Guest("db-main"), distrusting, invalid);

        var fromTheFile = PolicyResolver.Resolve(Guest("db-main"), distrusting, null);
        Assert.Equal(10, fromTheFile.Order);
        Assert.Equal(fromTheFile, policy);
        Assert.Equal(fromTheFile, fromInvalid);
    }

    [Theory]
    [InlineData("http://microsoft.com/win/10", OsFamily.Windows)]
    [InlineData("http://debian.org/debian/12", OsFamily.Linux)]
    [InlineData("http://ubuntu.com/ubuntu/22.04", OsFamily.Linux)]
    [InlineData("http://freebsd.org/freebsd/13.2", OsFamily.Other)]
    [InlineData(null, OsFamily.Other)]
    public void Os_families_come_from_the_libosinfo_id(string? os, OsFamily family)
    {
        Assert.Equal(family, OsFamilies.Of(os));
    }

    private static Guest Guest(string name, string? os = null, string uuid = "00000000-0000-0000-0000-000000000001") =>
        new("test:///default", name, uuid, GuestState.Running, 1, true, false, false, 1024 * 1024, 1, os, true, false, null);
}
