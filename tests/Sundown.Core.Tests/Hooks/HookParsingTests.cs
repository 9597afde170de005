using Sundown.Core.Config;
using Sundown.Core.Hooks;
using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Tests.Hooks;

/// <summary>Hooks in the config ([defaults], [[guest]], [hooks]) and in a guest's metadata: good and bad. Pure, no backend.</summary>
public sealed class HookParsingTests
{
    [Fact]
    public void Defaults_and_a_rule_set_hooks_and_the_rule_overrides_one_key_and_turns_another_off()
    {
        var config = ConfigParser.Parse("""
            [defaults]
            pre_stop = ["/usr/local/bin/drain", "--all", "a b"]
            post_stop = ["/usr/bin/logger", "stopped"]

            [[guest]]
            match = "db-*"
            pre_stop = ["/usr/local/bin/flush", "$(touch PWNED)"]
            post_stop = []
            post_start = ["/usr/bin/true"]
            """, "t.toml");

        Assert.Equal(["/usr/local/bin/drain", "--all", "a b"], config.Defaults.Hooks.Of(HookKind.PreStop)!.Argv);
        Assert.Equal(["/usr/bin/logger", "stopped"], config.Defaults.Hooks.Of(HookKind.PostStop)!.Argv);
        Assert.Null(config.Defaults.Hooks.Of(HookKind.PostStart));

        var rule = Assert.Single(config.Rules);
        var db = rule.Overrides.ApplyTo(config.Defaults);
        Assert.Equal(["/usr/local/bin/flush", "$(touch PWNED)"], db.Hooks.Of(HookKind.PreStop)!.Argv);
        Assert.Null(db.Hooks.Of(HookKind.PostStop));
        Assert.Equal(["/usr/bin/true"], db.Hooks.Of(HookKind.PostStart)!.Argv);
    }

    [Fact]
    public void The_run_hooks_table_sets_the_runs_own_hooks_and_not_the_guests()
    {
        var config = ConfigParser.Parse("""
            [hooks]
            pre_stop = ["/usr/local/bin/notify", "stopping"]
            post_start = ["/usr/local/bin/notify", "up"]
            """, "t.toml");

        Assert.Equal(["/usr/local/bin/notify", "stopping"], config.Hooks.Of(HookKind.PreStop)!.Argv);
        Assert.Null(config.Hooks.Of(HookKind.PostStop));
        Assert.Equal(["/usr/local/bin/notify", "up"], config.Hooks.Of(HookKind.PostStart)!.Argv);
        Assert.True(config.Defaults.Hooks.IsEmpty);
    }

    [Theory]
    [InlineData("[defaults]\npre_stop = \"/usr/bin/x\"\n", 2, 12, "expected an argv array")]
    [InlineData("[defaults]\npre_stop = [\"x\", \"y\"]\n", 2, 12, "must be an absolute path")]
    [InlineData("[defaults]\npost_stop = [\"/bin/true\", 3]\n", 2, 27, "expected a string")]
    [InlineData("[[guest]]\nmatch = \"a\"\npost_start = [\"sh -c x\"]\n", 3, 14, "must be an absolute path")]
    [InlineData("[hooks]\npre_stop = [\"/bin/true\"]\npre_stop = [\"/bin/true\"]\n", 3, 1, "appears twice")]
    [InlineData("[hooks]\npost_stopp = [\"/bin/true\"]\n", 2, 1, "unknown key 'post_stopp' in [hooks]")]
    [InlineData("[hooks]\npre_stop = [\"relative/x\"]\n", 2, 12, "must be an absolute path")]
    public void A_bad_hook_is_refused_with_its_line_and_column(string toml, int line, int column, string says)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigParser.Parse(toml, "/etc/sundown/sundown.toml"));

        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_sets_hooks_as_arg_lists_kept_byte_exact_and_an_empty_element_turns_one_off()
    {
        var overrides = PolicyMetadata.Parse("""
            <sundown:policy xmlns:sundown="https://sundown.dev/xmlns/policy/1" order="5">
              <sundown:pre_stop><sundown:arg>/usr/local/bin/drain</sundown:arg><sundown:arg> two  spaces </sundown:arg><sundown:arg>$(touch PWNED) &amp; ';'</sundown:arg></sundown:pre_stop>
              <post_stop/>
            </sundown:policy>
            """);
        var policy = overrides.ApplyTo(GuestPolicy.Default with
        {
            Hooks = new HookSet(PostStop: HookCommand.TryCreate(["/bin/true"], out _)),
        });

        Assert.Equal(5, policy.Order);
        Assert.Equal(["/usr/local/bin/drain", " two  spaces ", "$(touch PWNED) & ';'"], policy.Hooks.Of(HookKind.PreStop)!.Argv);
        Assert.Null(policy.Hooks.Of(HookKind.PostStop));
    }

    [Theory]
    [InlineData("<policy><pre_stop><arg>x</arg></pre_stop></policy>", "absolute path")]
    [InlineData("<policy><pre_stop>/usr/bin/x y</pre_stop></policy>", "text outside <arg>")]
    [InlineData("<policy><pre_stopp><arg>/bin/true</arg></pre_stopp></policy>", "unknown element")]
    [InlineData("<policy><pre_stop><arg>/bin/true</arg><argv>y</argv></pre_stop></policy>", "unknown element <argv>")]
    [InlineData("<policy><pre_stop><arg>/bin/true</arg></pre_stop><pre_stop><arg>/bin/true</arg></pre_stop></policy>", "appears twice")]
    [InlineData("<policy><post_start><arg><b>/bin/true</b></arg></post_start></policy>", "text only")]
    public void Bad_hook_metadata_is_refused_with_what_is_wrong(string xml, string says)
    {
        var error = Assert.Throws<FormatException>(() => PolicyMetadata.Parse(xml));

        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_guests_bad_hook_metadata_is_refused_naming_the_guest_and_untrusted_metadata_is_not_read()
    {
        var config = ConfigParser.Parse("[defaults]\npre_stop = [\"/usr/bin/true\"]\n", "t.toml");
        var guest = new Guest("test:///default", "$(touch PWNED)", "6695eb01-f6a4-8304-79aa-97f2502e193f", GuestState.Running, 0,
            true, false, false, 1024, 1, null, true, false, null);
        const string bad = "<policy><pre_stop><arg>not/absolute</arg></pre_stop></policy>";

        var error = Assert.Throws<FormatException>(() => PolicyResolver.Resolve(guest, config, bad));
        var untrusted = PolicyResolver.Resolve(guest, config with { TrustGuestMetadata = false }, bad);

        Assert.Contains("guest '$(touch PWNED)'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["/usr/bin/true"], untrusted.Hooks.Of(HookKind.PreStop)!.Argv);
    }

    [Fact]
    public void Hooks_in_a_guests_metadata_are_ignored_with_a_warning_naming_it_unless_trust_guest_hooks_is_set()
    {
        var config = ConfigParser.Parse("[defaults]\npre_stop = [\"/usr/bin/true\"]\n", "t.toml");
        var guest = new Guest("test:///default", "web", "6695eb01-f6a4-8304-79aa-97f2502e193f", GuestState.Running, 0,
            true, false, false, 1024, 1, null, true, false, null);
        const string metadata = "<policy order=\"3\"><pre_stop><arg>/tmp/anyones</arg></pre_stop></policy>";
        var warnings = new List<string>();

        var untrusted = PolicyResolver.Resolve(guest, config, metadata, warnings.Add);
        var trusted = PolicyResolver.Resolve(guest, ConfigParser.Parse("trust_guest_hooks = true\n[defaults]\npre_stop = [\"/usr/bin/true\"]\n", "t.toml"), metadata, warnings.Add);

        Assert.False(config.TrustGuestHooks);
        Assert.Equal(["/usr/bin/true"], untrusted.Hooks.Of(HookKind.PreStop)!.Argv);
        Assert.Equal(3, untrusted.Order);
        Assert.Contains("guest 'web'", Assert.Single(warnings), StringComparison.Ordinal);
        Assert.Equal(["/tmp/anyones"], trusted.Hooks.Of(HookKind.PreStop)!.Argv);
    }
}
