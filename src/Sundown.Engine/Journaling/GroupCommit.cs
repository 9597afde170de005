namespace Sundown.Engine.Journaling;

/// <summary>
/// Group commit: the writes of many callers made durable by one transaction, so one fsync,
/// instead of one each. Callers hand their writes to a single writer thread; it takes every
/// write waiting at that moment, runs them all in one transaction, commits it, and only then
/// completes each caller's task. While it commits, new writes queue up for the next batch:
/// the busier the callers, the bigger the batches, and a lone caller waits for no one.
/// </summary>
/// <remarks>
/// Durability is unchanged for a caller: its task completes only after the commit that holds
/// its write has returned. Failures are never swallowed and never leave a caller waiting:
/// <list type="bullet">
/// <item>A write that refuses throws <see cref="ArgumentException"/>, and must do so before it
/// changes anything: only its caller gets the exception, the rest of the batch is committed.</item>
/// <item>Any other exception, from a write or from the commit, rolls the whole batch back, and
/// every caller in it gets that exception: none of their writes is durable.</item>
/// <item>The writer then goes on with the next batch, so a passing fault (a full disk freed
/// again) does not break the writes after it.</item>
/// </list>
/// </remarks>
/// <typeparam name="TTransaction">What a write is applied to: the batch's transaction.</typeparam>
internal sealed class GroupCommit<TTransaction> : IDisposable
{
    // Monitor.Wait needs a plain object, not a System.Threading.Lock.
    private readonly object _gate = new();
    private readonly Action<Action<TTransaction>> _inTransaction;
    private readonly Thread _writer;
    private List<PendingWrite> _waiting = [];
    private bool _closing;

    /// <param name="inTransaction">
    /// Begins a transaction, calls the action with it (the action applies every write of the
    /// batch), and commits; returns only once the commit is durable, and throws if it is not.
    /// </param>
    internal GroupCommit(string name, Action<Action<TTransaction>> inTransaction)
    {
        _inTransaction = inTransaction;
        // A thread of its own, not the thread pool: the writer blocks in fsync, and a stop's
        // thousands of waiting guests must not have to wait for a pool thread to commit them.
        _writer = new Thread(Run) { IsBackground = true, Name = name };
        _writer.Start();
    }

    /// <summary>
    /// Queues a write for the next batch. The task completes with the write's result once the
    /// batch is committed, or fails with the write's own exception or with the batch's.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The group commit is closed.</exception>
    internal Task<T> Enqueue<T>(Func<TTransaction, T> write)
    {
        var pending = new PendingWrite<T>(write);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            _waiting.Add(pending);
            Monitor.Pulse(_gate);
        }

        return pending.Task;
    }

    /// <summary>Commits every write already queued, then stops the writer; later writes are refused.</summary>
    public void Dispose() => Dispose(Timeout.InfiniteTimeSpan);

    /// <summary>As <see cref="Dispose()"/>, waiting at most <paramref name="timeout"/> for the writer; false if it is still busy (it ends on its own).</summary>
    public bool Dispose(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return _writer.Join(timeout);
            }

            _closing = true;
            Monitor.Pulse(_gate);
        }

        return _writer.Join(timeout);
    }

    private void Run()
    {
        while (true)
        {
            List<PendingWrite> batch;
            lock (_gate)
            {
                while (_waiting.Count == 0 && !_closing)
                {
                    Monitor.Wait(_gate);
                }

                if (_waiting.Count == 0)
                {
                    return;
                }

                batch = _waiting;
                _waiting = [];
            }

            try
            {
                _inTransaction(transaction =>
                {
                    foreach (var write in batch)
                    {
                        write.Apply(transaction);
                    }
                });
            }
            catch (Exception e)
            {
                // Nothing of this batch is durable: every caller in it hears why.
                batch.ForEach(write => write.Fail(e));
                continue;
            }

            batch.ForEach(static write => write.Complete());
        }
    }

    private abstract class PendingWrite
    {
        /// <summary>Runs the write inside the batch's transaction; a refusal is kept for its caller.</summary>
        internal abstract void Apply(TTransaction transaction);

        /// <summary>After the commit: the caller gets the write's result or its own exception.</summary>
        internal abstract void Complete();

        internal abstract void Fail(Exception batchFailure);
    }

    private sealed class PendingWrite<T>(Func<TTransaction, T> write) : PendingWrite
    {
        // Continuations run on the thread pool, never on the writer: a caller's next step
        // must not hold up the commit of the others.
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _refused;

        internal Task<T> Task => _done.Task;

        internal override void Apply(TTransaction transaction)
        {
            try
            {
                _result = write(transaction);
            }
            catch (ArgumentException e)
            {
                // Refused before it changed anything: its own failure, not the batch's. Any
                // other exception leaves Apply and breaks the batch.
                _refused = e;
            }
        }

        internal override void Complete()
        {
            if (_refused is null)
            {
                _done.TrySetResult(_result!);
            }
            else
            {
                _done.TrySetException(_refused);
            }
        }

        internal override void Fail(Exception batchFailure) => _done.TrySetException(batchFailure);
    }
}
