using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>
/// The group commit on its own, with an in-memory "transaction" whose commits the tests hold
/// and fail at will: which writes share a batch, and who hears of a failure. No SQLite.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly FakeStore _store = new();
    private readonly GroupCommit<List<string>> _commits;

    public GroupCommitTests() => _commits = new GroupCommit<List<string>>("test", _store.InTransaction);

    public void Dispose()
    {
        _store.Release();
        _commits.Dispose();
    }

    [Fact(Timeout = 10_000)]
    public async Task Writes_that_wait_while_a_commit_runs_are_committed_together_in_the_next()
    {
        _store.Hold();
        var first = _commits.Enqueue(Append("first"));
        await _store.CommitStarted();

        var waiting = Enumerable.Range(0, 50).Select(i => _commits.Enqueue(Append($"w{i}"))).ToList();
        Assert.All(waiting, write => Assert.False(write.IsCompleted));
        _store.Release();
        await Task.WhenAll([first, .. waiting]);

        Assert.Equal([["first"], [.. Enumerable.Range(0, 50).Select(i => $"w{i}")]], _store.Committed);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_writes_task_completes_only_after_the_commit_that_holds_it()
    {
        _store.Hold();
        var write = _commits.Enqueue(Append("a"));
        await _store.CommitStarted();

        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(write.IsCompleted);
        Assert.Empty(_store.Committed);

        _store.Release();
        Assert.Equal("a", await write);
        Assert.Equal([["a"]], _store.Committed);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failed_commit_fails_every_write_of_its_batch_and_the_next_batch_goes_on()
    {
        _store.Hold();
        var first = _commits.Enqueue(Append("first"));
        await _store.CommitStarted();
        var batch = Enumerable.Range(0, 10).Select(i => _commits.Enqueue(Append($"lost{i}"))).ToList();
        _store.FailNextCommits(2); // the first batch and the batch of ten

        _store.Release();

        var firstError = await Assert.ThrowsAsync<IOException>(() => first);
        foreach (var write in batch)
        {
            Assert.Same(_store.Failure, await Assert.ThrowsAsync<IOException>(() => write));
        }

        Assert.Same(_store.Failure, firstError);
        Assert.Equal("later", await _commits.Enqueue(Append("later")));
        Assert.Equal([["later"]], _store.Committed);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_refused_write_fails_alone_and_the_rest_of_its_batch_is_committed()
    {
        _store.Hold();
        var first = _commits.Enqueue(Append("first"));
        await _store.CommitStarted();
        var before = _commits.Enqueue(Append("before"));
        var refused = _commits.Enqueue<string>(_ => throw new ArgumentException("no such step"));
        var after = _commits.Enqueue(Append("after"));

        _store.Release();

        await first;
        Assert.Equal("no such step", (await Assert.ThrowsAsync<ArgumentException>(() => refused)).Message);
        Assert.Equal(["before", "after"], [await before, await after]);
        Assert.Equal([["first"], ["before", "after"]], _store.Committed);
    }

    [Fact(Timeout = 10_000)]
    public async Task Any_other_exception_from_a_write_breaks_its_whole_batch()
    {
        _store.Hold();
        var first = _commits.Enqueue(Append("first"));
        await _store.CommitStarted();
        var before = _commits.Enqueue(Append("before"));
        var broken = _commits.Enqueue<string>(_ => throw new InvalidOperationException("disk I/O error"));

        _store.Release();

        await first;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => before);
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => broken));
        Assert.Equal([["first"]], _store.Committed);
    }

    [Fact(Timeout = 10_000)]
    public async Task Dispose_commits_what_is_queued_then_refuses_new_writes()
    {
        _store.Hold();
        var first = _commits.Enqueue(Append("first"));
        await _store.CommitStarted();
        var queued = Enumerable.Range(0, 5).Select(i => _commits.Enqueue(Append($"q{i}"))).ToList();

        var disposing = Task.Run(_commits.Dispose, TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(disposing.IsCompleted); // it waits for the commits
        _store.Release();
        await disposing;

        Assert.True(first.IsCompletedSuccessfully);
        Assert.All(queued, write => Assert.True(write.IsCompletedSuccessfully));
        Assert.Equal(6, _store.Committed.Sum(batch => batch.Count));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _commits.Enqueue(Append("late")));
    }

    [Fact(Timeout = 10_000)]
    public async Task Writes_from_many_callers_all_land_each_callers_in_its_order()
    {
        var callers = Enumerable.Range(0, 64).Select(caller => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                await _commits.Enqueue(Append($"{caller}:{i}"));
            }
        }));

        await Task.WhenAll(callers);

        var all = _store.Committed.SelectMany(batch => batch).ToList();
        Assert.Equal(64 * 20, all.Count);
        foreach (var caller in Enumerable.Range(0, 64))
        {
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{caller}:{i}"), all.Where(w => w.StartsWith($"{caller}:", StringComparison.Ordinal)));
        }

        // Concurrent callers shared commits: fewer batches than writes.
        Assert.True(_store.Committed.Count < all.Count, $"{_store.Committed.Count} batches for {all.Count} writes");
    }

    private static Func<List<string>, string> Append(string value) => batch =>
    {
        batch.Add(value);
        return value;
    };

    /// <summary>
    /// A store whose "transaction" is a list: committed when the batch action returns, unless the
    /// test holds the commit (to let writes queue up behind it) or makes it fail.
    /// </summary>
    private sealed class FakeStore
    {
        private readonly Lock _lock = new();
        private readonly List<List<string>> _committed = [];
        private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ManualResetEventSlim _open = new(initialState: true);
        private int _failures;

        internal IOException Failure { get; } = new("No space left on device");

        internal List<List<string>> Committed
        {
            get
            {
                lock (_lock)
                {
                    return [.. _committed];
                }
            }
        }

        internal void Hold()
        {
            _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _open = new ManualResetEventSlim(initialState: false);
        }

        internal void Release() => _open.Set();

        internal Task CommitStarted() => _started.Task;

        internal void FailNextCommits(int count) => Interlocked.Exchange(ref _failures, count);

        internal void InTransaction(Action<List<string>> applyBatch)
        {
            _started.TrySetResult();
            _open.Wait();
            var transaction = new List<string>();
            applyBatch(transaction);
            if (Interlocked.Decrement(ref _failures) >= 0)
            {
                throw Failure;
            }

            lock (_lock)
            {
                _committed.Add(transaction);
            }
        }
    }
}
