using Sundown.Core.Config;

namespace Sundown.Core.Tests;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("0s", 0)]
    [InlineData(" 2m30s ", 150_000)]
    public void Parse_reads_operator_durations(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Durations.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 m")]
    [InlineData("m5")]
    [InlineData("5d")]
    [InlineData("-5s")]
    public void TryParse_refuses_what_is_not_a_duration(string text)
    {
        Assert.Null(Durations.TryParse(text, out string? error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("1h30m")]
    [InlineData("1m30s")]
    [InlineData("10s")]
    [InlineData("2h")]
    [InlineData("1s500ms")]
    public void Format_round_trips(string text)
    {
        Assert.Equal(text, Durations.Format(Durations.Parse(text)));
    }
}
