namespace Sundown.WholeHost.Tests;

/// <summary>
/// A private network for a rack of whole hosts (<c>host.sh net-up</c>): a network namespace per
/// host, each with eth0 at 10.77.0.I on a veth into a bridge in a namespace of its own. Made by
/// the test, removed with it; nothing of it is in this machine's namespace, so the hosts reach
/// each other and no other address.
/// </summary>
internal sealed class RackNetwork : IAsyncDisposable
{
    private RackNetwork(string name, int count)
    {
        Name = name;
        Count = count;
    }

    internal string Name { get; }

    internal int Count { get; }

    internal static async Task<RackNetwork> CreateAsync(int count)
    {
        var network = new RackNetwork($"sundown-rack-{Guid.NewGuid().ToString("N")[..8]}", count);
        var up = await Sundown.Testing.ProcessRunner.RunAsync(WholeHost.Script, ["net-up", network.Name, count.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (up.ExitCode != 0)
        {
            // What a half-made network left (host.sh sweep would find it too).
            await network.DisposeAsync();
            Assert.Fail($"host.sh net-up: {up.Error}");
        }

        return network;
    }

    /// <summary>The namespace host <paramref name="number"/> (from 1) boots in.</summary>
    internal string Namespace(int number) => $"{Name}-h{number}";

    /// <summary>Host <paramref name="number"/>'s address on the rack's network.</summary>
    internal static string Address(int number) => $"10.77.0.{number}";

    public async ValueTask DisposeAsync()
    {
        var down = await Sundown.Testing.ProcessRunner.RunAsync(WholeHost.Script, ["net-down", Name]);
        if (down.ExitCode != 0)
        {
            await Console.Error.WriteLineAsync($"host.sh net-down {Name}: {down.Error}");
        }
    }
}
