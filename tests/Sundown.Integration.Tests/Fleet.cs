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

    internal static string Script => FleetScript.Path;

    internal static string SundownBinary => Repository.SundownBinary;

    internal sealed record FleetGuest(string Uuid, string Name, string LogPath);

    /// <summary>Skips (or, in CI, fails) unless this machine can run the fleet.</summary>
    internal static Task RequireAsync() => FleetScript.RequireSetupAsync();

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
        var up = await ProcessRunner.RunAsync(Script, ["up", "-"], stdin: FleetScript.Spec(specLines), timeout: TimeSpan.FromMinutes(3));
        Assert.True(up.ExitCode == 0, $"fleet.sh up failed: {up.Error}");
        return [.. FleetScript.ParseUp(up.Output).Select(g => new FleetGuest(g.Uuid, g.Name, g.SerialLog))];
    }

    internal static async Task DownAsync()
    {
        var down = await ProcessRunner.RunAsync(Script, ["down"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(down.ExitCode == 0, $"fleet.sh down failed: {down.Error}");
    }

    /// <summary>Checks a disk guest's disk from outside with <c>fleet.sh disk-check</c> (QEMU may hold it).</summary>
    internal static async Task<FleetScript.DiskCheck> DiskCheckAsync(string uuid)
    {
        var check = await ProcessRunner.RunAsync(Script, ["disk-check", FleetScript.DiskPath(uuid)], timeout: TimeSpan.FromMinutes(1));
        Assert.True(check.ExitCode == 0, $"fleet.sh disk-check failed: {check.Error}");
        TestContext.Current.TestOutputHelper?.WriteLine($"disk-check {uuid}: {check.Output.Trim()} {check.Error.Trim()}");
        return FleetScript.ParseDiskCheck(check.Output);
    }

    /// <summary>The last record the guest's writer has announced as synced, read from its serial log now.</summary>
    internal static long LastSynced(FleetGuest guest) => FleetScript.LastSynced(File.ReadAllText(guest.LogPath));

    internal static Task<ProcessRunner.Result> VirshAsync(params string[] args) =>
        ProcessRunner.RunAsync("virsh", ["-q", "-c", Uri, .. args], timeout: TimeSpan.FromMinutes(1));

    internal static Task<ProcessRunner.Result> SundownAsync(params string[] args) =>
        ProcessRunner.RunAsync(SundownBinary, args, timeout: TimeSpan.FromMinutes(2));
}
