namespace Wharf.Ssh.Connection;

/// <summary>
/// The peer's receive window for one channel: a credit manager (like runtime's CreditManager). A take
/// completes synchronously, without allocating, whenever credit exists; otherwise it waits for a
/// WINDOW_ADJUST. stdout and stderr draw from the same window (RFC 4254 §5.2).
/// </summary>
internal sealed class WindowCredit(uint initial)
{
    private readonly Lock _lock = new();
    private long _available = initial;
    private TaskCompletionSource? _waiter;
    private bool _closed;

    public async ValueTask<int> TakeAsync(int max, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed) throw new IOException("The channel is closed.");
                if (_available > 0)
                {
                    var n = (int)Math.Min(max, _available);
                    _available -= n;
                    return n;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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
            _waiter?.TrySetResult();
            _waiter = null;
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _waiter?.TrySetResult();
            _waiter = null;
        }
    }
}
