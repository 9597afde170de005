using System.Text.Json;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests;

public sealed class ListCommandTests
{
    private static readonly string[] s_contractFields =
        ["uri", "name", "uuid", "state", "persistent", "autostart", "managedSave", "memoryKiB", "vcpus", "os"];

    [Fact(Timeout = 30_000)]
    public async Task List_json_prints_the_contract_for_the_default_test_host() => await Task.Run(() =>
    {
        var result = CliRunner.Run("list", "-c", "test:///default", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var guest = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(s_contractFields, guest.EnumerateObject().Select(field => field.Name));
        Assert.Equal("test", guest.GetProperty("name").GetString());
        Assert.Equal("running", guest.GetProperty("state").GetString());
        Assert.Equal(8388608, guest.GetProperty("memoryKiB").GetInt64());
        Assert.Equal(JsonValueKind.Null, guest.GetProperty("os").ValueKind);
    });

    [Fact(Timeout = 30_000)]
    public async Task List_json_keeps_hostile_names_exact_and_reads_the_os() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(10);

        var result = CliRunner.Run("list", "--connect", file.Uri, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var byName = json.RootElement.EnumerateArray().ToDictionary(guest => guest.GetProperty("name").GetString()!);
        Assert.Equal(file.Guests.Select(spec => spec.Name).Order(StringComparer.Ordinal), byName.Keys);
        Assert.All(file.Guests, spec =>
        {
            var guest = byName[spec.Name];
            Assert.Equal(spec.Os, guest.GetProperty("os").GetString());
            Assert.Equal(spec.ManagedSave, guest.GetProperty("managedSave").GetBoolean());
            Assert.Equal(!spec.Transient, guest.GetProperty("persistent").GetBoolean());
        });
    });

    [Fact(Timeout = 30_000)]
    public async Task List_of_several_hosts_shows_each_hosts_guests_with_a_host_column() => await Task.Run(() =>
    {
        using var first = TestHostFile.Create(3);
        using var second = TestHostFile.Create(2);

        var table = CliRunner.Run("list", "-c", first.Uri, "-c", second.Uri);
        var json = CliRunner.Run("list", "-c", first.Uri, "-c", second.Uri, "--json");

        Assert.Equal(0, table.ExitCode);
        string[] lines = table.Output.TrimEnd().Split('\n');
        Assert.StartsWith("HOST", lines[0], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, line => line.StartsWith(second.Uri, StringComparison.Ordinal) && line.Contains("paused", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(
            [first.Uri, first.Uri, first.Uri, second.Uri, second.Uri],
            document.RootElement.EnumerateArray().Select(guest => guest.GetProperty("uri").GetString()));
    });

    [Fact(Timeout = 30_000)]
    public async Task List_table_has_a_row_per_guest_with_state_and_notes() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(5);

        var result = CliRunner.Run("list", "-c", file.Uri);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Output.TrimEnd().Split('\n');
        Assert.Equal(["NAME", "STATE", "MEMORY", "VCPUS", "OS", "NOTES"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, line => line.StartsWith("semi;colon", StringComparison.Ordinal) && line.Contains("shutoff", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("$(touch sundown-pwned)", StringComparison.Ordinal) && line.Contains("transient", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("`back tick`", StringComparison.Ordinal) && line.Contains("saved", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("vm 0004 ünïcødé", StringComparison.Ordinal) && line.Contains("running", StringComparison.Ordinal));
    });

    [Fact(Timeout = 30_000)]
    public async Task An_unreachable_host_is_named_on_stderr_the_others_are_listed_and_the_exit_is_1() => await Task.Run(() =>
    {
        var result = CliRunner.Run("list", "-c", "test:///default", "-c", "nosuchdriver:///x", "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("test", Assert.Single(json.RootElement.EnumerateArray()).GetProperty("name").GetString());
        Assert.Contains("nosuchdriver:///x", result.Error, StringComparison.Ordinal);
    });

    [Theory]
    [InlineData("list", "--bogus")]
    [InlineData("list", "-c")]
    [InlineData("frobnicate")]
    public void Bad_usage_exits_2_with_a_message(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("sundown:", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }
}
