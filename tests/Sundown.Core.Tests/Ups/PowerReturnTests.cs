using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

public sealed class PowerReturnTests
{
    [Theory]
    [InlineData("start 5m", 300.0)]
    [InlineData("start 90s", 90.0)]
    [InlineData("start 1h30m", 5400.0)]
    [InlineData("  start   2m ", 120.0)]
    [InlineData("start 0s", 0.0)]
    public void Start_with_a_duration_holds_that_long(string text, double seconds)
    {
        var action = PowerReturn.TryParse(text, out string? error);

        Assert.Null(error);
        Assert.True(action!.Starts);
        Assert.Equal(TimeSpan.FromSeconds(seconds), action.Hold);
    }

    [Fact]
    public void Start_alone_holds_the_default_five_minutes()
    {
        var action = PowerReturn.TryParse("start", out _);

        Assert.Equal(PowerReturn.Default, action);
        Assert.Equal(TimeSpan.FromMinutes(5), action!.Hold);
    }

    [Fact]
    public void Nothing_starts_nothing()
    {
        var action = PowerReturn.TryParse("nothing", out _);

        Assert.Equal(PowerReturn.Nothing, action);
        Assert.False(action!.Starts);
        Assert.Null(action.Hold);
    }

    [Theory]
    [InlineData("start 5m", "start 5m")]
    [InlineData("start 90s", "start 1m30s")]
    [InlineData("nothing", "nothing")]
    public void It_writes_back_as_the_config_would(string text, string written)
    {
        Assert.Equal(written, PowerReturn.TryParse(text, out _)!.ToString());
    }

    [Theory]
    [InlineData("", "is not \"start DUR\"")]
    [InlineData("restart", "is not \"start DUR\"")]
    [InlineData("Start 5m", "is not \"start DUR\"")]
    [InlineData("start 5m now", "is not \"start DUR\"")]
    [InlineData("nothing 5m", "is not \"start DUR\"")]
    [InlineData("start soon", "'soon' is not a duration")]
    [InlineData("start 5x", "the unit of each number must be")]
    public void Anything_else_is_refused_with_the_reason(string text, string reason)
    {
        var action = PowerReturn.TryParse(text, out string? error);

        Assert.Null(action);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
