using System.Text;

namespace Sundown.Cli.Tests;

public sealed class FailSafeWriterTests
{
    [Theory]
    [InlineData("io")]
    [InlineData("access")]
    [InlineData("disposed")]
    public async Task A_failed_write_is_dropped_said_once_and_every_later_write_too(string failure)
    {
        var inner = new FailingWriter(failure, succeedFirst: 1);
        var told = new List<string>();
        var writer = new FailSafeWriter(inner, told.Add);

        writer.WriteLine("first");
        writer.WriteLine("second");
        writer.Write("third".AsSpan());
        await writer.WriteLineAsync("fourth");
        writer.Flush();

        Assert.Equal("first" + Environment.NewLine, inner.Written.ToString());
        Assert.Single(told);
        Assert.True(writer.Broken);
        Assert.Equal(2, inner.Attempts);
    }

    [Fact]
    public void A_writer_that_works_passes_everything_through()
    {
        var inner = new StringWriter();
        var writer = new FailSafeWriter(inner, _ => Assert.Fail("nothing failed"));

        writer.Write('a');
        writer.Write("b");
        writer.WriteLine("c".AsSpan());

        Assert.Equal("abc" + Environment.NewLine, inner.ToString());
        Assert.False(writer.Broken);
    }

    private sealed class FailingWriter(string failure, int succeedFirst) : TextWriter
    {
        internal StringBuilder Written { get; } = new();

        internal int Attempts { get; private set; }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Attempt(() => Written.Append(value));

        public override void Write(string? value) => Attempt(() => Written.Append(value));

        public override void WriteLine(string? value) => Attempt(() => Written.Append(value).Append(Environment.NewLine));

        public override void Flush() => Attempt(() => { });

        private void Attempt(Action write)
        {
            Attempts++;
            if (Attempts <= succeedFirst)
            {
                write();
                return;
            }

            throw failure switch
            {
                "io" => new IOException("Broken pipe"),
                "access" => new UnauthorizedAccessException("Access to the path is denied."),
                _ => new ObjectDisposedException("writer"),
            };
        }
    }
}
