using System.ComponentModel;
using System.Diagnostics;

namespace Sundown.Cli.Systemd;

/// <summary>Runs <c>systemctl</c> as a process with its arguments as a list, never through a shell.</summary>
internal sealed class Systemctl(string program)
{
    internal const string DefaultProgram = "systemctl";

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    /// <summary>What systemctl prints when PID 1 is not systemd (a container, a chroot, an image build).</summary>
    private const string NotBootedText = "not been booted with systemd";

    internal string Program => program;

    /// <summary>Runs <c>systemctl ARGUMENTS</c>: its exit status (-1 when it could not run or hung) and what it printed.</summary>
    internal (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            return (-1, $"cannot run {program}: {e.Message}");
        }

        if (process is null)
        {
            return (-1, $"cannot run {program}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(s_timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{program} {string.Join(' ', arguments)} did not finish in {s_timeout.TotalSeconds:0}s");
            }

            return (process.ExitCode, (output.Result + error.Result).Trim());
        }
    }

    /// <summary>True when systemctl failed because systemd is not running as PID 1.</summary>
    internal static bool IsNotBooted(string output) => output.Contains(NotBootedText, StringComparison.OrdinalIgnoreCase);
}
