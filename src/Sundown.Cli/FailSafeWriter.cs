using System.Text;

namespace Sundown.Cli;

/// <summary>
/// A writer that never throws: the first failed write (an <see cref="IOException"/>, an
/// <see cref="UnauthorizedAccessException"/>, or a writer already disposed) is reported once through <paramref name="failed"/>, and it and
/// every later write are dropped. Output is a courtesy; the guests come first.
/// </summary>
internal sealed class FailSafeWriter(TextWriter inner, Action<string> failed) : TextWriter(inner.FormatProvider)
{
    private volatile bool _broken;

    public override Encoding Encoding => inner.Encoding;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    /// <summary>Whether a write has failed: everything since was dropped.</summary>
    internal bool Broken => _broken;

    public override void Write(char value) => Guard(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            inner.Write(buffer);
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            Fail(e);
        }
    }

    public override void Write(string? value) => Guard(() => inner.Write(value));

    public override void WriteLine() => Guard(inner.WriteLine);

    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            inner.WriteLine(buffer);
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            Fail(e);
        }
    }

    public override void Flush() => Guard(inner.Flush);

    public override Task WriteAsync(char value) => GuardAsync(() => inner.WriteAsync(value));

    public override Task WriteAsync(string? value) => GuardAsync(() => inner.WriteAsync(value));

    public override Task WriteAsync(char[] buffer, int index, int count) => GuardAsync(() => inner.WriteAsync(buffer, index, count));

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) =>
        GuardAsync(() => inner.WriteAsync(buffer, cancellationToken));

    public override Task WriteLineAsync() => GuardAsync(inner.WriteLineAsync);

    public override Task WriteLineAsync(string? value) => GuardAsync(() => inner.WriteLineAsync(value));

    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) =>
        GuardAsync(() => inner.WriteLineAsync(buffer, cancellationToken));

    public override Task FlushAsync() => GuardAsync(inner.FlushAsync);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Guard(inner.Dispose);
        }

        base.Dispose(disposing);
    }

    private void Guard(Action write)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            write();
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            Fail(e);
        }
    }

    private async Task GuardAsync(Func<Task> write)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            await write().ConfigureAwait(false);
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            Fail(e);
        }
    }

    // EBADF and EACCES come as UnauthorizedAccessException, EPIPE and ENOSPC as IOException.
    private static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException or ObjectDisposedException;

    private void Fail(Exception e)
    {
        if (_broken)
        {
            return;
        }

        _broken = true;
        // A StreamWriter keeps what it could not write and tries again on the next flush: it is
        // left alone from now on, or every later write would fail the same way. The one told
        // writes to a FailSafeWriter too, so this cannot throw.
        failed(e.Message);
    }
}
