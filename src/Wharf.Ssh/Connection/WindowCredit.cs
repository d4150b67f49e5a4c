namespace Wharf.Ssh.Connection;

/// <summary>
/// The peer's receive window for one channel: a credit manager (like runtime's CreditManager). A take
/// completes synchronously, without allocating, whenever enough credit exists; otherwise it waits for
/// WINDOW_ADJUSTs. stdout and stderr draw from the same window (RFC 4254 §5.2).
/// </summary>
/// <remarks>
/// A client whose own reader is slow (git-lfs reading its ssh's stdout 4 KiB at a time, say) lets the window
/// reopen in many small adjusts: OpenSSH's client credits whatever it wrote out on each turn of its loop once
/// more than three packets are outstanding (channel_check_window). Waking the sender for each of them costs a
/// thread-pool wake-up and a partial send per adjust. So a take that cannot be served whole waits until
/// enough bytes are free: the whole request, but at most a quarter of the window the peer first
/// offered (and at least one byte). A peer that credits back what it has consumed (OpenSSH and Go's x/crypto/ssh do)
/// gets its window back above that mark. RFC 4254 §5.2 does not oblige a peer to reopen that much: one may keep a
/// small window for good (adjusting only what its application asks to read). So a take that has some credit waits at
/// most <see cref="GatherTime"/> for the rest, then sends what is open and waits for no more than that on this
/// channel from then on: such a peer costs one short delay, never a stall.
/// </remarks>
internal sealed class WindowCredit(uint initial)
{
    private readonly Lock _lock = new();
    private long _coalesceLimit = Math.Max(1, initial / 4);
    private long _available = initial;
    private TaskCompletionSource? _waiter;
    // The smallest credit any current waiter needs; Add wakes them once it is there.
    private long _waiterNeeds = long.MaxValue;
    private bool _closed;

    /// <summary>
    /// How long a take that has some credit, but less than it wants, waits for more before it sends what is open and
    /// lowers what it waits for on this channel to that.
    /// </summary>
    internal static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(10);

    public async ValueTask<int> TakeAsync(int max, CancellationToken ct)
    {
        var gathered = false;
        while (true)
        {
            if (TryTake(max, gathered, out var n, out var wait, out var some)) return n;
            if (!some)
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                await wait.WaitAsync(GatherTime, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                gathered = true;
            }
        }
    }

    /// <summary>
    /// <see cref="TakeAsync"/> for a caller on a thread of its own that may block (the pump of a process's output):
    /// it waits on the calling thread, and <see cref="Add"/> wakes that thread directly. The asynchronous take's
    /// continuation runs on the thread pool instead (its waiter runs continuations asynchronously, so that
    /// <see cref="Add"/> never runs a writer's code on the connection's read loop): a worker is woken to finish the take
    /// and send, and then the waiting thread, for every window adjust.
    /// </summary>
    public int Take(int max, CancellationToken ct)
    {
        var gathered = false;
        while (true)
        {
            if (TryTake(max, gathered, out var n, out var wait, out var some)) return n;
            // Task.Wait's own wake-up is set by TrySetResult on the adding thread, even for a waiter that runs
            // continuations asynchronously: no thread-pool work item in between.
            if (!some) wait.Wait(ct);
            else if (!wait.Wait(GatherTime, ct)) gathered = true;
        }
    }

    /// <summary>Takes credit when there is enough (see the remarks), or returns the task that completes when there may be.</summary>
    private bool TryTake(int max, bool gathered, out int taken, out Task wait, out bool some)
    {
        lock (_lock)
        {
            if (_closed) throw new IOException("The channel is closed.");
            var wanted = Math.Max(1, Math.Min(max, _coalesceLimit));
            if (_available >= wanted || (gathered && _available > 0))
            {
                // After GatherTime the peer had opened less than wanted: it keeps a smaller window, and waiting for
                // more would delay every later write by GatherTime.
                if (_available < wanted) _coalesceLimit = _available;
                taken = (int)Math.Min(max, _available);
                _available -= taken;
                wait = Task.CompletedTask;
                some = true;
                return true;
            }
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // With no credit at all the first adjust wakes the take; with some, the wanted amount or GatherTime.
            some = _available > 0;
            _waiterNeeds = Math.Min(_waiterNeeds, some ? wanted : 1);
            wait = _waiter.Task;
            taken = 0;
            return false;
        }
    }

    public void Add(uint bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            // A window above 2^32-1 is a protocol error (OpenSSH channel_input_window_adjust).
            if (_available > uint.MaxValue)
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "channel window overflow");
            if (_available < _waiterNeeds) return;
            _waiter?.TrySetResult();
            _waiter = null;
            _waiterNeeds = long.MaxValue;
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _waiter?.TrySetResult();
            _waiter = null;
            _waiterNeeds = long.MaxValue;
        }
    }
}
