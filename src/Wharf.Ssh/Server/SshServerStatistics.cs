namespace Wharf.Ssh.Server;

/// <summary>
/// Running totals of one server, read by the host for metrics. Counters only grow; a reader takes
/// differences. Updated with interlocked adds so the data path never takes a lock for them.
/// </summary>
public sealed class SshServerStatistics
{
    private long _accepted, _refused, _authOk, _authFailed, _keyExchanges;

    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);
    public long ConnectionsRefused => Interlocked.Read(ref _refused);
    public long AuthenticationsSucceeded => Interlocked.Read(ref _authOk);
    /// <summary>Connections that tried to authenticate and ended without success.</summary>
    public long AuthenticationsFailed => Interlocked.Read(ref _authFailed);
    /// <summary>Completed key exchanges, the first of each connection and every rekey.</summary>
    public long KeyExchangesCompleted => Interlocked.Read(ref _keyExchanges);

    internal void OnAccepted() => Interlocked.Increment(ref _accepted);
    internal void OnRefused() => Interlocked.Increment(ref _refused);
    internal void OnAuthenticated() => Interlocked.Increment(ref _authOk);
    internal void OnAuthenticationFailed() => Interlocked.Increment(ref _authFailed);
    internal void OnKeyExchange() => Interlocked.Increment(ref _keyExchanges);
}
