using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// The shell completions the package ships (packaging/completion/) offer exactly the commands and
/// options the command line has, as its own --help lists them, so that they cannot drift apart;
/// and bash's really completes.
/// </summary>
public sealed partial class CompletionTests
{
    // Every command takes these; the completions add them to each command's own list.
    private static readonly string[] s_commonOptions = ["--config", "--state-dir", "--help", "-h"];

    private static string CompletionFile(string shell, string name) =>
        Path.Combine(Repository.Root, "packaging", "completion", shell, name);

    [Fact]
    public void Bash_offers_every_command()
    {
        var bash = File.ReadAllText(CompletionFile("bash", "sundown"));

        var commands = Words(Match(bash, @"local commands=""([^""]*)""", "the bash command list"));

        Assert.Equal(Help.Commands(), commands.Order());
    }

    [Fact]
    public void Bash_offers_each_commands_options()
    {
        var bash = File.ReadAllText(CompletionFile("bash", "sundown"));

        var options = BashCommandOptions().Matches(bash).ToDictionary(m => m.Groups[1].Value, m => Words(m.Groups[2].Value));

        Assert.Equal(Help.Commands(), options.Keys.Order());
        foreach (var command in Help.Commands())
        {
            Assert.True(Help.Options(command).Except(s_commonOptions).Order().SequenceEqual(options[command].Order()),
                $"bash completion of '{command}': [{string.Join(' ', options[command].Order())}], its --help: [{string.Join(' ', Help.Options(command).Except(s_commonOptions).Order())}]");
        }

        Assert.Equal(Help.Options(null).Order(), Words(Match(bash, @"local global_options=""([^""]*)""", "the bash global options")).Order());
    }

    [Fact]
    public void Bash_knows_which_options_take_a_value()
    {
        var bash = File.ReadAllText(CompletionFile("bash", "sundown"));

        var valueOptions = BashValueOptions().Matches(bash).SelectMany(m => Words(m.Groups[1].Value));

        var helpValueOptions = Help.Commands().Prepend(null).SelectMany(Help.ValueOptions).Distinct();
        Assert.Equal(helpValueOptions.Order(), valueOptions.Order());
    }

    [Fact]
    public void Fish_offers_every_command_and_each_commands_options()
    {
        var fish = File.ReadAllLines(CompletionFile("fish", "sundown.fish"));

        var commands = fish.Select(line => FishCommand().Match(line)).Where(m => m.Success).Select(m => m.Groups[1].Value);
        Assert.Equal(Help.Commands(), commands.Order());
        Assert.Equal(Help.Commands(), Words(Match(string.Join('\n', fish), @"set -l commands ([^\n]*)", "the fish command list")).Order());

        foreach (var command in Help.Commands())
        {
            var options = fish.Where(line => line.Contains($"'__fish_seen_subcommand_from {command}'", StringComparison.Ordinal))
                .SelectMany(FishOptions);
            Assert.Equal(Help.Options(command).Except(s_commonOptions).Order(), options.Order());
        }
    }

    [Fact]
    public void Zsh_offers_every_command_and_each_commands_options()
    {
        var zsh = File.ReadAllText(CompletionFile("zsh", "_sundown"));

        var commands = ZshCommand().Matches(zsh).Select(m => m.Groups[1].Value);
        Assert.Equal(Help.Commands(), commands.Order());

        var branches = ZshBranch().Matches(zsh).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(Help.Commands(), branches.Keys.Order());
        foreach (var command in Help.Commands())
        {
            var branch = branches[command].Replace("$connect", "{-c,--connect}", StringComparison.Ordinal);
            var options = ZshOption().Matches(branch).SelectMany(m => m.Groups[1].Success
                ? m.Groups[1].Value.Split(',')
                : [m.Groups[2].Value]);
            Assert.Equal(Help.Options(command).Except(s_commonOptions).Order(), options.Distinct().Order());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Bash_completes_a_command_and_its_options()
    {
        Assert.True(File.Exists(BashCompletionLibrary), $"{BashCompletionLibrary} is missing: apt-get install bash-completion");

        Assert.Equal("start stop", await CompleteAsync("sundown", "st"));
        Assert.Equal("--at-shutdown", await CompleteAsync("sundown", "stop", "--at"));
        Assert.Equal("--budget", await CompleteAsync("sundown", "--config", "x.toml", "plan", "--bu"));
        // A value, not an option: the word after --budget is a duration.
        Assert.Equal("", await CompleteAsync("sundown", "plan", "--budget", ""));
        Assert.Equal("qemu:///system", await CompleteAsync("sundown", "list", "-c", "qemu:///sy"));
    }

    private const string BashCompletionLibrary = "/usr/share/bash-completion/bash_completion";

    // The words typed so far, the last one being completed, as bash's programmable completion
    // hands them to the function.
    private static async Task<string> CompleteAsync(params string[] words)
    {
        const string script = """
            source "$1"
            source "$2"
            shift 2
            COMP_WORDS=("$@")
            COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"
            COMP_POINT=${#COMP_LINE}
            _sundown
            printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
            """;
        var result = await ProcessRunner.RunAsync("bash", ["-c", script, "bash", BashCompletionLibrary, CompletionFile("bash", "sundown"), .. words], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"bash exited {result.ExitCode}: {result.Error}");
        return result.Output.Trim();
    }

    private static string Match(string text, string pattern, string what)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"{what} ({pattern}) not found");
        return match.Groups[1].Value;
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static IEnumerable<string> FishOptions(string line)
    {
        foreach (Match option in FishOption().Matches(line))
        {
            yield return (option.Groups[1].Value == "s" ? "-" : "--") + option.Groups[2].Value;
        }
    }

    // `        stop) options="--connect -c ..." ;;`
    [GeneratedRegex(@"^\s+([a-z-]+)\) options=""([^""]*)""", RegexOptions.Multiline)]
    private static partial Regex BashCommandOptions();

    // `    local file_options="--config --svg"` and the other kinds of value (not global_options).
    [GeneratedRegex(@"local (?:file|dir|uri|guest|free)_options=""([^""]*)""")]
    private static partial Regex BashValueOptions();

    [GeneratedRegex(@"-n ""not __fish_seen_subcommand_from \$commands"" -a ([a-z-]+) ")]
    private static partial Regex FishCommand();

    [GeneratedRegex(@" -(s|l) ([a-z?-]+)")]
    private static partial Regex FishOption();

    // `        'list:list the guests of one or more hosts'`
    [GeneratedRegex(@"^\s+'([a-z-]+):[^']*'$", RegexOptions.Multiline)]
    private static partial Regex ZshCommand();

    // `                list) _arguments $common $connect \` ... `;;`
    [GeneratedRegex(@"^\s+([a-z-]+)\) _arguments (.*?);;", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ZshBranch();

    // `'--json[...]'`, `'*--only=[...]'`, `{-c,--connect}`
    [GeneratedRegex(@"\{([^}]*)\}|'\*?(-[a-z-]+)[=\[]")]
    private static partial Regex ZshOption();

    /// <summary>The commands and options as the command line's own --help lists them.</summary>
    private static partial class Help
    {
        public static IEnumerable<string> Commands() =>
            Section(Text(null), "Commands:").Select(line => Words(line)[0]).Order();

        /// <summary>
        /// Every option of a command (null: of sundown itself), each alias on its own; but -?,
        /// an alias of -h that a shell would expand as a glob.
        /// </summary>
        public static IEnumerable<string> Options(string? command) =>
            OptionColumns(command).SelectMany(OptionNames).Where(option => option != "-?");

        public static IEnumerable<string> ValueOptions(string? command) =>
            OptionColumns(command).Where(column => column.Contains('<', StringComparison.Ordinal)).SelectMany(OptionNames);

        // `  -c, --connect <URI>  libvirt connection URI; ...` → `-c, --connect <URI>`
        private static IEnumerable<string> OptionColumns(string? command) =>
            Section(Text(command), "Options:").Select(line => ColumnGap().Split(line.Trim())[0]);

        private static IEnumerable<string> OptionNames(string column) =>
            column.Split(' ').Where(word => word.StartsWith('-')).Select(word => word.TrimEnd(','));

        private static string Text(string? command)
        {
            var result = command is null ? CliRunner.Run("--help") : CliRunner.Run(command, "--help");
            Assert.Equal(0, result.ExitCode);
            return result.Output;
        }

        // The indented lines under a heading, up to the next blank line.
        private static IEnumerable<string> Section(string help, string heading) =>
            help.Split('\n').SkipWhile(line => line.TrimEnd() != heading).Skip(1)
                .TakeWhile(line => line.StartsWith("  ", StringComparison.Ordinal))
                .Select(line => line.TrimEnd());

        [GeneratedRegex(@"\s{2,}")]
        private static partial Regex ColumnGap();
    }
}
