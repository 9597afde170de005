using System.Globalization;
using Sundown.Core.Ups;
using Sundown.Libvirt.Tests;
using Sundown.Nut;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

/// <summary>
/// A rack's secondary (<c>[ups] role = "secondary"</c>) at shutdown, against a real upsd
/// (tests/nut/nut.sh) and libvirt's test driver: the stop holds a login on the UPS while it runs,
/// which the primary's upsmon would wait for, and gives it up when it is done; an interactive
/// stop holds none. A guest's pre_stop hook asks upsd for NUMLOGINS while the stop runs.
/// </summary>
public sealed class RackLoginCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-config-").FullName;

    private string Config => Path.Combine(_configDir, "sundown.toml");

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_at_shutdown_on_a_secondary_holds_a_login_on_the_ups_while_it_runs_and_an_interactive_stop_holds_none()
    {
        await using var server = await NutServer.StartAsync();
        string seen = Path.Combine(_configDir, "numlogins");
        WriteConfig(server, seen);

        using (var file = TestHostFile.Create(1))
        {
            var atShutdown = await Task.Run(() => Run("stop", "--at-shutdown", "-c", file.Uri));
            Assert.True(atShutdown.ExitCode == 0, atShutdown.Error);
            Assert.Equal("NUMLOGINS sundown 1", File.ReadAllText(seen));
            Assert.Contains("logged in to the UPS", atShutdown.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("words", atShutdown.Error, StringComparison.Ordinal);
        }

        await using var reader = await NutClient.ConnectAsync("127.0.0.1", server.Port, TimeSpan.FromSeconds(3), CancellationToken.None);
        // upsd counts the login out when it reads the connection's LOGOUT or end: polled, not assumed.
        int after = await reader.NumLoginsAsync("sundown", CancellationToken.None);
        for (var deadline = DateTime.UtcNow.AddSeconds(5); after != 0 && DateTime.UtcNow < deadline; after = await reader.NumLoginsAsync("sundown", CancellationToken.None))
        {
            await Task.Delay(100);
        }

        using (var file = TestHostFile.Create(1))
        {
            var interactive = await Task.Run(() => Run("stop", "-c", file.Uri));
            Assert.True(interactive.ExitCode == 0, interactive.Error);
            Assert.Equal("NUMLOGINS sundown 0", File.ReadAllText(seen));
            Assert.DoesNotContain("logged in to the UPS", interactive.Error, StringComparison.Ordinal);
        }

        Assert.Equal(0, after);
    }

    /// <summary>
    /// The secondary's config, with a pre_stop hook that asks upsd (bash's /dev/tcp: NUT's protocol
    /// is lines) for NUMLOGINS until it is 1, for at most 2 s, and writes the last answer to <paramref name="seen"/>.
    /// </summary>
    private void WriteConfig(NutServer server, string seen)
    {
        string hook = Path.Combine(_configDir, "numlogins.sh");
        File.WriteAllText(hook, string.Create(CultureInfo.InvariantCulture, $$"""
            #!/bin/bash
            for _ in $(seq 20); do
              exec 3<>/dev/tcp/127.0.0.1/{{server.Port}}
              printf 'GET NUMLOGINS sundown\n' >&3
              read -r line <&3
              exec 3>&-
              [[ $line == "NUMLOGINS sundown 1" ]] && break
              sleep 0.1
            done
            printf '%s' "${line%$'\r'}" >"$1"

            """));
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Config, $"""
            [defaults]
            stop = ["acpi 20s", "destroy"]
            pre_stop = ["{hook}", "{seen}"]
            [ups]
            name = "{server.Name}"
            margin = "20s"
            role = "secondary"
            user = "sundown"
            password = "two \"words\""
            """);
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private CliRunner.Result Run(params string[] args) =>
        CliRunner.Run([.. args, "--config", Config, "--state-dir", _stateDir]);
}
