namespace Sundown.Cli.Tests;

/// <summary>Runs the command line in-process with its output and error captured.</summary>
internal static class CliRunner
{
    internal sealed record Result(int ExitCode, string Output, string Error);

    internal static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = SundownCli.Run(args, output, error);
        return new Result(exitCode, output.ToString(), error.ToString());
    }
}
