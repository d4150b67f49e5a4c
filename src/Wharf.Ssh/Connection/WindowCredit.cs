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
/// <see cref="Wanted"/> bytes are free: the whole request, but at most a quarter of the window the peer first
/// offered (and at least one byte). A peer that credits back what it has consumed (OpenSSH and Go's x/crypto/ssh do)
/// always gets its window back above that mark, so the data keeps flowing.
/// </remarks>
internal sealed class WindowCredit(uint initial)
{
    private readonly Lock _lock = new();
    private readonly long _coalesceLimit = Math.Max(1, initial / 4);
    private long _available = initial;
    private TaskCompletionSource? _waiter;
    // The smallest credit any current waiter needs; Add wakes them once it is there.
    private long _waiterNeeds = long.MaxValue;
    private bool _closed;

    /// <summary>Credit a take of <paramref name="max"/> bytes waits for when less is free: the request, capped.</summary>
    public long Wanted(int max) => Math.Max(1, Math.Min(max, _coalesceLimit));

    public async ValueTask<int> TakeAsync(int max, CancellationToken ct)
    {
        var wanted = Wanted(max);
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed) throw new IOException("The channel is closed.");
                if (_available >= wanted)
                {
                    var n = (int)Math.Min(max, _available);
                    _available -= n;
                    return n;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiterNeeds = Math.Min(_waiterNeeds, wanted);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
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
