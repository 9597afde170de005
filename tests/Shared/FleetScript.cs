namespace Sundown.Testing;

/// <summary>
/// What the tests share about <c>tests/fleet/fleet.sh</c>, on this machine's libvirtd or inside a
/// whole host: its setup (packages, the guests' kernel and initramfs) and its <c>up</c> protocol.
/// </summary>
internal static class FleetScript
{
    internal static string Path => System.IO.Path.Combine(Repository.Root, "tests", "fleet", "fleet.sh");

    /// <summary>One guest as <c>fleet.sh up</c> prints it: UUID, name, serial log (a path on the host that runs it).</summary>
    internal sealed record UpGuest(string Uuid, string Name, string SerialLog);

    /// <summary>Skips (or, in CI, fails) unless this machine can run fleet guests and the published binary.</summary>
    internal static async Task RequireSetupAsync()
    {
        Requires.Root();
        Requires.File(Repository.SundownBinary, "run scripts/publish.sh first");
        var setup = await ProcessRunner.RunAsync(Path, ["setup"], timeout: TimeSpan.FromMinutes(10));
        Requires.That(setup.ExitCode == 0, $"fleet.sh setup failed: {setup.Error}");
    }

    /// <summary><c>fleet.sh up</c>'s standard input: one "NAME\tOPTIONS" line per guest.</summary>
    internal static string Spec(IEnumerable<string> specLines) => string.Join('\n', specLines) + "\n";

    /// <summary>Reads <c>fleet.sh up</c>'s output: UUID, TAB, name, TAB, serial log per line.</summary>
    internal static IReadOnlyList<UpGuest> ParseUp(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(parts => new UpGuest(parts[0], parts[1], parts[2]))];
}
