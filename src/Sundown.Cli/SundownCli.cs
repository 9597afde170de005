using System.CommandLine;
using Sundown.Cli.Commands;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;

namespace Sundown.Cli;

/// <summary>
/// The command tree and the one place where errors become messages and exit codes.
/// Tests call <see cref="Run"/> with captured writers.
/// </summary>
internal static class SundownCli
{
    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Sundown: safe host shutdown for KVM/libvirt guests.")
        {
            GlobalOptions.Config,
            GlobalOptions.StateDirectory,
            ListCommand.Create(),
            PlanCommand.Create(),
            StopCommand.Create(),
            StartCommand.Create(),
            RestoreListCommand.Create(),
            ReportCommand.Create(),
            InstallCommand.Create(),
            DoctorCommand.Create(),
            WatchCommand.Create(),
        };

        // Guest names may begin with '@': never read arguments from response files.
        var parserConfiguration = new ParserConfiguration { ResponseFileTokenReplacer = null };
        var parseResult = root.Parse(args, parserConfiguration);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var parseError in parseResult.Errors)
            {
                error.WriteLine($"sundown: {parseError.Message}");
            }

            error.WriteLine("Try 'sundown --help'.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Expected failures are caught below and printed without a stack trace.
            EnableDefaultExceptionHandler = false,
            // No SIGINT/SIGTERM handling of System.CommandLine's own: it returns 130/143 once its
            // timeout passes, ending the process under a command still at work. The commands that
            // must finish what they began handle the signals themselves (Interruption): stop and
            // start journal what was done, and watch sees a stop of its own through.
            ProcessTerminationTimeout = null,
        };

        try
        {
            return parseResult.Invoke(invocation);
        }
        catch (Exception e) when (e is UsageException or ConfigException)
        {
            error.WriteLine($"sundown: {e.Message}");
            error.WriteLine("Nothing was touched.");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is HostException or StateLockedException or JournalException)
        {
            error.WriteLine($"sundown: {e.Message}");
            return ExitCodes.Error;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not expected, so with its type and where it came from, but as a message and an
            // exit status: an unhandled exception aborts the process (SIGABRT), which a unit's
            // ExecStop= and a script both read worse. (The stop at shutdown catches its own first,
            // and stops the guests all the same: see StopCommand.)
            error.WriteLine($"sundown: internal error: {e}");
            return ExitCodes.Error;
        }
    }
}
