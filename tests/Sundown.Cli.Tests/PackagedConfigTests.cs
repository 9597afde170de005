using System.Text.RegularExpressions;
using Sundown.Core.Config;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// The conffile the package installs as /etc/sundown/sundown.toml (packaging/sundown.toml): as
/// shipped it means what no file means, and each key it shows commented out is shown at its
/// real default, so uncommenting one changes nothing.
/// </summary>
public sealed partial class PackagedConfigTests : IDisposable
{
    private static readonly string s_shipped = Path.Combine(Repository.Root, "packaging", "sundown.toml");
    private readonly string _directory = Directory.CreateTempSubdirectory("sundown-conffile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 60_000)]
    public void As_shipped_it_plans_as_an_empty_file_does()
    {
        // An empty file means the defaults, as no file at the default path does (a --config that
        // names a missing file is refused).
        string empty = Path.Combine(_directory, "empty.toml");
        File.WriteAllText(empty, "");

        var shipped = Plan(s_shipped);

        Assert.Equal(Plan(empty), shipped);
    }

    [Fact]
    public void As_shipped_it_parses_as_the_defaults()
    {
        var config = ConfigParser.Parse(File.ReadAllText(s_shipped), s_shipped);

        AssertDefaults(config);
        Assert.Null(config.Ups);
    }

    [Fact]
    public void Every_key_it_shows_is_at_its_default()
    {
        string text = File.ReadAllText(s_shipped);
        // `#key = value` and `#[table]` are the settings; `# ` and `#   ` lines are prose and examples.
        string uncommented = SettingLine().Replace(text, "$1");
        Assert.True(uncommented.Split('\n').Count(line => line.Length > 0 && line[0] is not '#') >= 10, $"too few settings uncommented:\n{uncommented}");

        var config = ConfigParser.Parse(uncommented, "uncommented.toml");

        AssertDefaults(config);
        // [ups] has no default name (the example's); its other keys are at their defaults.
        Assert.NotNull(config.Ups);
        Assert.Equal(Sundown.Core.Ups.UpsConfig.DefaultMargin, config.Ups.Margin);
        Assert.Equal(Sundown.Core.Ups.PowerReturn.Default, config.Ups.OnPowerReturn);
    }

    private static void AssertDefaults(SundownConfig config)
    {
        var defaults = SundownConfig.Default;
        Assert.Equal(defaults.Connect, config.Connect);
        Assert.Equal(defaults.Budget, config.Budget);
        Assert.Equal(defaults.TrustGuestMetadata, config.TrustGuestMetadata);
        Assert.Equal(defaults.Limits, config.Limits);
        Assert.Equal(defaults.Defaults, config.Defaults);
        Assert.Empty(config.Rules);
    }

    // `sundown plan --json` of the test driver's guest with this config, the CLI's own reading.
    private string Plan(string config)
    {
        var result = CliRunner.Run("plan", "--config", config, "-c", "test:///default", "--state-dir", _directory, "--json");
        Assert.True(result.ExitCode == 0, $"plan --config {config} exited {result.ExitCode}: {result.Error}");
        return result.Output;
    }

    [GeneratedRegex(@"^#(?=[a-z_]+ = |\[)(.*)$", RegexOptions.Multiline)]
    private static partial Regex SettingLine();
}
