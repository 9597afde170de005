using System.Net;
using System.Net.Sockets;

namespace Sundown.Testing;

/// <summary>
/// A real upsd serving one dummy-ups UPS on a loopback port of its own, started by
/// <c>tests/nut/nut.sh</c> without systemd; the test changes what the UPS says with
/// <see cref="SetAsync"/>. Disposed, upsd and the driver are stopped and their folder removed.
/// </summary>
internal sealed class NutServer : IAsyncDisposable
{
    private NutServer(string directory, int port, string name)
    {
        Directory = directory;
        Port = port;
        Name = name;
    }

    internal static string Script => Path.Combine(Repository.Root, "tests", "nut", "nut.sh");

    /// <summary>The folder that holds its config, state and .dev file.</summary>
    internal string Directory { get; }

    internal int Port { get; }

    /// <summary>The UPS as the config names it: <c>sundown@127.0.0.1:PORT</c>.</summary>
    internal string Name { get; }

    /// <summary>Skips (or, in CI, fails) unless NUT can be installed and run here.</summary>
    internal static async Task RequireAsync()
    {
        Requires.Root();
        var setup = await ProcessRunner.RunAsync(Script, ["setup"], timeout: TimeSpan.FromMinutes(5));
        Requires.That(setup.ExitCode == 0, $"nut.sh setup failed: {setup.Error}");
    }

    /// <summary>Starts upsd and the driver; <paramref name="variables"/> (e.g. "ups.status=OB") replace the defaults (OL, runtime 600 s, low 120 s).</summary>
    internal static async Task<NutServer> StartAsync(params string[] variables)
    {
        await RequireAsync();
        // nut.sh makes it 0755: upsd and the driver run as the user nut and must reach it.
        string directory = System.IO.Directory.CreateTempSubdirectory("sundown-nut-").FullName;
        // The port is free when picked, not when upsd binds it: another test may take it between,
        // and then upsd does not start; a new port, a few times.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort();
            var up = await ProcessRunner.RunAsync(Script, ["up", directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. variables], timeout: TimeSpan.FromSeconds(60));
            if (up.ExitCode == 0)
            {
                return new NutServer(directory, port, up.Output.Trim());
            }

            await ProcessRunner.RunAsync(Script, ["down", directory], timeout: TimeSpan.FromSeconds(30));
            if (attempt == 3)
            {
                System.IO.Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException($"nut.sh up failed: {up.Error}");
            }
        }
    }

    /// <summary>Sets variables (e.g. "battery.runtime=90") and waits until upsd serves them.</summary>
    internal async Task SetAsync(params string[] variables) =>
        await RunAsync(["set", Directory, .. variables]);

    internal Task StopDriverAsync() => RunAsync(["driver-stop", Directory]);

    internal Task StartDriverAsync() => RunAsync(["driver-start", Directory]);

    /// <summary>upsd and the driver stopped; the folder stays until disposal (a test may start them again).</summary>
    internal Task StopAsync() => RunAsync(["down", Directory]);

    /// <summary>After <see cref="StopAsync"/>: the driver and upsd started again, on the same port.</summary>
    internal Task StartUpsdAsync() => RunAsync(["again", Directory]);

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync(Script, ["down", Directory], timeout: TimeSpan.FromSeconds(30));
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A loopback port free now (the kernel's pick), for a server of the test's own.</summary>
    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task RunAsync(string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(Script, arguments, timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"nut.sh {string.Join(' ', arguments)} failed: {result.Error}");
        }
    }
}
