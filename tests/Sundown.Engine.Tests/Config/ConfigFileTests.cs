using Sundown.Core.Config;
using Sundown.Engine.Config;
using Sundown.Engine.Reports;
using Sundown.Testing;

namespace Sundown.Engine.Tests.Config;

/// <summary>Reading the config safely, keeping its last good copy, and the fallback of the stop at shutdown.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Readable = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Directory0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sundown-configfile-");

    private string StateDirectory => Path.Combine(_root.FullName, "state");

    private string LastGood => Path.Combine(StateDirectory, LastGoodConfig.FileName);

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_good_file_is_kept_as_the_last_good_copy_0600_naming_its_source()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");

        var config = ConfigFile.Load(file, StateDirectory);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
        Assert.Equal($"# sundown: the last good copy of {file}\nbudget = \"7m\"", File.ReadAllText(LastGood));
        Assert.Equal(Private, File.GetUnixFileMode(LastGood));
        Assert.False(File.Exists(LastGood + ".new"));
    }

    [Fact]
    public void A_bad_file_is_refused_and_leaves_the_last_good_copy_as_it_was()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");
        ConfigFile.Load(file, StateDirectory);
        string kept = File.ReadAllText(LastGood);
        Write("etc/sundown.toml", "budget = \"soon\"");

        var error = Assert.Throws<ConfigException>(() => ConfigFile.Load(file, StateDirectory));

        Assert.Equal((1, 10), (error.Line, error.Column));
        Assert.Equal(kept, File.ReadAllText(LastGood));
    }

    [Fact]
    public void Keeping_the_copy_is_best_effort_a_state_directory_that_cannot_be_made_fails_nothing()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");
        string notADirectory = Write("plain-file", "");

        var config = ConfigFile.Load(file, Path.Combine(notADirectory, "state"));

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
    }

    [Fact]
    public void At_shutdown_a_file_that_does_not_parse_falls_back_to_the_last_good_copy_with_a_fault()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"\n[defaults]\nstop = [\"acpi 20s\"]");
        ConfigFile.Load(file, StateDirectory);
        Write("etc/sundown.toml", "budget = \"7m\"\n[defaults]\nstop = [\"acpi soon\"]");

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
        Assert.Equal(Sundown.Core.Policy.StopLadder.Create("acpi 20s", "destroy"), config.Defaults.Stop);
        Assert.NotNull(fault);
        Assert.Equal(FaultKinds.Config, fault.Kind);
        Assert.Equal(file, fault.Subject);
        Assert.StartsWith($"{file}:3:8: ", fault.Message, StringComparison.Ordinal);
        Assert.Contains($"using the last config that parsed ({LastGood}, kept ", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_shutdown_an_unsafe_file_falls_back_too()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");
        ConfigFile.Load(file, StateDirectory);
        File.SetUnixFileMode(file, Readable | UnixFileMode.OtherWrite);

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
        Assert.Contains("writable by group or others", fault!.Message, StringComparison.Ordinal);
        Assert.Contains("using the last config that parsed", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_shutdown_a_bad_file_without_a_copy_falls_back_to_the_defaults_and_says_why()
    {
        string file = Write("etc/sundown.toml", "budgte = \"7m\"");

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Same(SundownConfig.Default, config);
        Assert.Contains("unknown key 'budgte'", fault!.Message, StringComparison.Ordinal);
        Assert.Contains($"using the built-in defaults instead (there is no last good copy in {StateDirectory})", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_shutdown_a_missing_named_file_falls_back_too()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");
        ConfigFile.Load(file, StateDirectory);
        File.Delete(file);

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
        Assert.Contains("no such file", fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_shutdown_the_copy_of_another_file_is_not_used()
    {
        string other = Write("etc/experiment.toml", "budget = \"1s\"");
        ConfigFile.Load(other, StateDirectory);
        string file = Write("etc/sundown.toml", "budget = ");

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Same(SundownConfig.Default, config);
        Assert.Contains($"{LastGood} is not a copy of {file}", fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_shutdown_a_good_file_is_used_with_no_fault()
    {
        string file = Write("etc/sundown.toml", "budget = \"7m\"");

        var config = ConfigFile.LoadOrFallBack(file, StateDirectory, out var fault);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
        Assert.Null(fault);
        Assert.True(File.Exists(LastGood));
    }

    [Fact]
    public void A_file_in_a_directory_others_may_write_is_refused()
    {
        string file = Write("open/sundown.toml", "budget = \"7m\"");
        string directory = Path.GetDirectoryName(file)!;
        File.SetUnixFileMode(directory, Directory0755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

        var error = Assert.Throws<ConfigException>(() => ConfigFile.Load(file));

        Assert.Contains($"the directory {directory} is writable by group or others (mode 0777)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_in_a_sticky_directory_of_roots_is_accepted()
    {
        Requires.Root();
        string file = Write("tmp/sundown.toml", "budget = \"7m\"");
        File.SetUnixFileMode(Path.GetDirectoryName(file)!, Directory0755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit);

        var config = ConfigFile.Load(file);

        Assert.Equal(TimeSpan.FromMinutes(7), config.Budget);
    }

    [Fact]
    public void A_link_to_a_file_in_an_open_directory_is_refused_for_where_the_file_really_is()
    {
        string target = Write("open/real.toml", "budget = \"7m\"");
        string openDirectory = Path.GetDirectoryName(target)!;
        File.SetUnixFileMode(openDirectory, Directory0755 | UnixFileMode.OtherWrite);
        string link = Path.Combine(_root.FullName, "etc-link.toml");
        File.CreateSymbolicLink(link, target);

        var error = Assert.Throws<ConfigException>(() => ConfigFile.Load(link));

        Assert.Contains($"the directory {openDirectory} is writable by group or others", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_file_owned_by_another_user_is_refused()
    {
        Requires.Root();
        string file = Write("etc/sundown.toml", "budget = \"7m\"");
        await ChownAsync(file, 65534);

        var error = Assert.Throws<ConfigException>(() => ConfigFile.Load(file));

        Assert.Contains("owned by uid 65534", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_in_place_of_the_file_is_refused()
    {
        string directory = Path.Combine(_root.FullName, "sundown.toml");
        Directory.CreateDirectory(directory);

        var error = Assert.Throws<ConfigException>(() => ConfigFile.Load(directory));

        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_fifo_in_place_of_the_file_is_refused_without_waiting_for_a_writer()
    {
        string fifo = Path.Combine(_root.FullName, "sundown.toml");
        var mkfifo = await ProcessRunner.RunAsync("mkfifo", [fifo], timeout: TimeSpan.FromSeconds(20));
        Assert.True(mkfifo.ExitCode == 0, mkfifo.Error);

        var error = await Task.Run(() => Assert.Throws<ConfigException>(() => ConfigFile.Load(fifo)));

        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
    }

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.SetUnixFileMode(Path.GetDirectoryName(path)!, Directory0755);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, Readable);
        return path;
    }

    internal static async Task ChownAsync(string path, int uid)
    {
        var chown = await ProcessRunner.RunAsync("chown", ["--no-dereference", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path], timeout: TimeSpan.FromSeconds(20));
        Assert.True(chown.ExitCode == 0, chown.Error);
    }
}
