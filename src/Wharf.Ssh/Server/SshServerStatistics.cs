namespace Wharf.Ssh.Server;

/// <summary>
/// Running totals of one server, read by the host for metrics. Counters only grow (except
/// <see cref="ConnectionsOpen"/>); a reader takes differences. Updated with interlocked adds so the data
/// path never takes a lock for them.
/// </summary>
public sealed class SshServerStatistics
{
    private long _accepted, _refused, _open, _authOk, _authFailed, _keyExchanges, _bytesReceived, _bytesSent;
    private long _alive, _background;

    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);
    public long ConnectionsRefused => Interlocked.Read(ref _refused);
    /// <summary>Connections accepted and not yet closed, authenticated or not.</summary>
    public long ConnectionsOpen => Interlocked.Read(ref _open);
    public long AuthenticationsSucceeded => Interlocked.Read(ref _authOk);
    /// <summary>Connections that tried to authenticate and ended without success.</summary>
    public long AuthenticationsFailed => Interlocked.Read(ref _authFailed);
    /// <summary>Completed key exchanges, the first of each connection and every rekey.</summary>
    public long KeyExchangesCompleted => Interlocked.Read(ref _keyExchanges);
    /// <summary>Bytes of SSH packets received after the identification lines (framing, padding and MAC included).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    /// <summary>Bytes of SSH packets sent after the identification lines (framing, padding and MAC included).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>
    /// Connections still held by the server: counted from accept until the read loop, every session and every
    /// task or timer the connection started (watchdog, KEXINIT fallback, rekeys) have all ended. Once clients
    /// are gone this returns to 0; a count that stays up means something outlives its connection.
    /// </summary>
    public long ConnectionsAlive => Interlocked.Read(ref _alive);

    /// <summary>
    /// Tasks and timers started by connections and not yet ended: one watchdog per connection, the KEXINIT
    /// fallback, rekeys, running sessions. 0 when no connection is open.
    /// </summary>
    public long BackgroundTasksRunning => Interlocked.Read(ref _background);

    internal void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _open);
    }

    internal void OnClosed() => Interlocked.Decrement(ref _open);
    internal void OnConnectionCreated() => Interlocked.Increment(ref _alive);
    internal void OnConnectionReleased() => Interlocked.Decrement(ref _alive);
    internal void OnBackgroundTaskStarted() => Interlocked.Increment(ref _background);
    internal void OnBackgroundTaskEnded() => Interlocked.Decrement(ref _background);
    internal void OnRefused() => Interlocked.Increment(ref _refused);
    internal void OnAuthenticated() => Interlocked.Increment(ref _authOk);
    internal void OnAuthenticationFailed() => Interlocked.Increment(ref _authFailed);
    internal void OnKeyExchange() => Interlocked.Increment(ref _keyExchanges);
    internal void OnReceived(long bytes) => Interlocked.Add(ref _bytesReceived, bytes);
    internal void OnSent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);
}
