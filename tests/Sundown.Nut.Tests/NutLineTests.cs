using Sundown.Core.Ups;

namespace Sundown.Nut.Tests;

/// <summary>Splitting upsd's reply lines into words (NUT's docs/net-protocol.txt).</summary>
public sealed class NutLineTests
{
    [Fact]
    public void Words_are_separated_by_spaces_and_runs_of_them()
    {
        Assert.Equal(["BEGIN", "LIST", "VAR", "ups"], NutLine.Split("BEGIN  LIST VAR   ups "));
    }

    [Fact]
    public void A_quoted_word_keeps_its_spaces()
    {
        Assert.Equal(["VAR", "ups", "ups.status", "OB DISCHRG LB"], NutLine.Split("VAR ups ups.status \"OB DISCHRG LB\""));
    }

    [Fact]
    public void Inside_quotes_a_backslash_escapes_a_quote_and_a_backslash()
    {
        Assert.Equal(["VAR", "ups", "ups.id", "say \"hi\" \\ ok"], NutLine.Split("VAR ups ups.id \"say \\\"hi\\\" \\\\ ok\""));
    }

    [Fact]
    public void An_empty_quoted_value_is_an_empty_word()
    {
        Assert.Equal(["VAR", "ups", "device.serial", ""], NutLine.Split("VAR ups device.serial \"\""));
    }

    [Fact]
    public void An_empty_line_has_no_words()
    {
        Assert.Empty(NutLine.Split(""));
        Assert.Empty(NutLine.Split("   "));
    }

    [Theory]
    [InlineData("VAR ups ups.status \"OB", "no closing quote")]
    [InlineData("VAR ups ups.status \"OB\\", "a backslash ends the line")]
    [InlineData("VAR ups ups.status \"OB\"LB", "runs into the next word")]
    public void A_line_that_is_not_the_protocol_is_garbage_with_the_reason(string line, string reason)
    {
        var error = Assert.Throws<UpsException>(() => NutLine.Split(line));

        Assert.Equal(UpsErrorKind.Garbage, error.Kind);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(line, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_quoted_in_a_message_is_printable_and_short()
    {
        string shortened = NutLine.Shorten("\u0000\u001b[2J" + new string('x', 200));

        Assert.StartsWith("??[2J", shortened, StringComparison.Ordinal);
        Assert.EndsWith("…", shortened, StringComparison.Ordinal);
        Assert.Equal(81, shortened.Length);
    }
}
