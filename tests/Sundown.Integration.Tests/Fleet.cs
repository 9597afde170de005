using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// Drives <c>tests/fleet/fleet.sh</c>: real QEMU guests on the machine's libvirtd, each
/// marked with the fleet's title so that nothing else on the host is touched.
/// </summary>
internal static class Fleet
{
    internal const string Uri = "qemu:///system";

    internal static string RepositoryRoot => Repository.Root;

    internal static string Script => Path.Combine(RepositoryRoot, "tests", "fleet", "fleet.sh");

    internal static string SundownBinary => Repository.SundownBinary;

    internal sealed record FleetGuest(string Uuid, string Name, string LogPath);

    /// <summary>Skips (or, in CI, fails) unless this machine can run the fleet.</summary>
    internal static async Task RequireAsync()
    {
        Requires.Root();
        Requires.File(SundownBinary, "run scripts/publish.sh first");
        var setup = await ProcessRunner.RunAsync(Script, ["setup"], timeout: TimeSpan.FromMinutes(10));
        Requires.That(setup.ExitCode == 0, $"fleet.sh setup failed: {setup.Error}");
    }

    /// <summary>
    /// A stop acts on every guest of the host: refuse to run one where guests live that the
    /// tests did not create (someone will run the tests on a real host one day).
    /// </summary>
    internal static async Task RequireNoForeignGuestsAsync()
    {
        var foreign = await ProcessRunner.RunAsync(Script, ["foreign"]);
        Requires.That(foreign.ExitCode == 0, $"this host holds guests the tests did not create; no stop will run here:\n{foreign.Output}");
    }

    /// <summary>Defines and starts guests from spec lines ("NAME\tOPTIONS"); returns them once they are up.</summary>
    internal static async Task<IReadOnlyList<FleetGuest>> UpAsync(params string[] specLines)
    {
        var up = await ProcessRunner.RunAsync(Script, ["up", "-"], stdin: string.Join('\n', specLines) + "\n", timeout: TimeSpan.FromMinutes(3));
        Assert.True(up.ExitCode == 0, $"fleet.sh up failed: {up.Error}");
        return [.. up.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(parts => new FleetGuest(parts[0], parts[1], parts[2]))];
    }

    internal static async Task DownAsync()
    {
        var down = await ProcessRunner.RunAsync(Script, ["down"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(down.ExitCode == 0, $"fleet.sh down failed: {down.Error}");
    }

    internal static Task<ProcessRunner.Result> SundownAsync(params string[] args) =>
        ProcessRunner.RunAsync(SundownBinary, args, timeout: TimeSpan.FromMinutes(2));
}
