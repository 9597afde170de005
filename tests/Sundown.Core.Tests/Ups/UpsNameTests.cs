using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

public sealed class UpsNameTests
{
    [Theory]
    [InlineData("myups@localhost", "myups", "localhost", 3493)]
    [InlineData("myups@localhost:3494", "myups", "localhost", 3494)]
    [InlineData("ups1@192.168.1.5:1", "ups1", "192.168.1.5", 1)]
    [InlineData("ups@nut.example.org:65535", "ups", "nut.example.org", 65535)]
    [InlineData("ups@[::1]:3493", "ups", "::1", 3493)]
    [InlineData("ups@[::1]", "ups", "::1", 3493)]
    [InlineData("ups@[fe80::1%eth0]:4000", "ups", "fe80::1%eth0", 4000)]
    public void A_name_host_and_port_are_read_as_upsc_writes_them(string text, string ups, string host, int port)
    {
        var name = UpsName.TryParse(text, out string? error);

        Assert.Null(error);
        Assert.Equal(new UpsName(ups, host, port), name);
    }

    [Theory]
    [InlineData("myups@localhost:3493")]
    [InlineData("ups@[::1]:3493")]
    public void A_name_writes_back_to_what_was_read(string text)
    {
        Assert.Equal(text, UpsName.TryParse(text, out _)!.ToString());
    }

    [Fact]
    public void A_name_without_a_port_writes_the_default_port()
    {
        Assert.Equal("myups@localhost:3493", UpsName.TryParse("myups@localhost", out _)!.ToString());
    }

    [Theory]
    [InlineData("", "expected NAME@HOST[:PORT]")]
    [InlineData("myups", "expected NAME@HOST[:PORT]")]
    [InlineData("@localhost", "expected NAME@HOST[:PORT]")]
    [InlineData("myups@", "expected NAME@HOST[:PORT]")]
    [InlineData("myups@localhost:", "is not a port")]
    [InlineData("myups@localhost:0", "'0' is not a port")]
    [InlineData("myups@localhost:65536", "'65536' is not a port")]
    [InlineData("myups@localhost:+80", "is not a port")]
    [InlineData("myups@localhost:http", "'http' is not a port")]
    [InlineData("myups@[::1", "in brackets")]
    [InlineData("myups@[::1]x", "in brackets")]
    [InlineData("myups@[::1]:x", "'x' is not a port")]
    [InlineData("myups@::1", "in brackets")]
    [InlineData("myups@fe80::1:3493", "in brackets")]
    [InlineData("myups@[]:3493", "single words")]
    [InlineData("my ups@localhost", "single words")]
    [InlineData("my\"ups@localhost", "single words")]
    [InlineData("myups@local host", "single words")]
    [InlineData("myups@host@other", "single words")]
    [InlineData("myups@host]:3493", "single words")]
    public void Anything_else_is_refused_with_the_reason(string text, string reason)
    {
        var name = UpsName.TryParse(text, out string? error);

        Assert.Null(name);
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
    }
}
