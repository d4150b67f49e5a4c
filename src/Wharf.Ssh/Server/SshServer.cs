using System.Net;
using System.Net.Sockets;

namespace Wharf.Ssh.Server;

/// <summary>
/// Accepts TCP connections and runs one <see cref="Connection.SshServerConnection"/> per socket.
/// Hosts that own their own sockets (a Kestrel ConnectionHandler, tests over pipes) call
/// <see cref="RunConnectionAsync"/> directly.
/// </summary>
/// <remarks>
/// Shutdown has two steps, so that a push in flight is not cut off: <see cref="StopAcceptingAsync"/> closes the
/// listening socket and refuses connections from then on; <see cref="DrainAsync"/> closes connections that run
/// nothing, refuses new sessions on the others, waits for running sessions up to a bound, then ends the rest.
/// </remarks>
public sealed class SshServer
{
    private readonly SshServerOptions _options;
    private readonly ISshServerHandler _handler;
    private readonly ISshServerLog _log;
    private readonly ConnectionAdmission _admission;

    // Guards _draining and _live together: a connection is either refused or seen by DrainAsync, never missed.
    private readonly Lock _liveLock = new();
    private readonly HashSet<Connection.SshServerConnection> _live = [];
    private bool _draining;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Ends every connection: cancelled when the drain time is over (or when the listener is cancelled without a drain).
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _stopListening = new();
    private readonly TaskCompletionSource _listenerClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _listening;

    /// <param name="statistics">Where totals are kept (the host reads them for metrics); a new one when null.</param>
    public SshServer(SshServerOptions options, ISshServerHandler handler, ISshServerLog? log = null, SshServerStatistics? statistics = null)
    {
        Statistics = statistics ?? new SshServerStatistics();
        options.Validate();
        _options = options;
        _handler = handler;
        _log = log ?? NullSshServerLog.Instance;
        _admission = new ConnectionAdmission(options);
    }

    public SshServerStatistics Statistics { get; }

    /// <summary>Connections accepted that have not authenticated yet.</summary>
    public int UnauthenticatedConnections => _admission.Unauthenticated;

    /// <summary>
    /// Listens until cancelled or until <see cref="StopAcceptingAsync"/>. When cancelled without a drain, running
    /// connections are cancelled too; after <see cref="StopAcceptingAsync"/> they are left to <see cref="DrainAsync"/>.
    /// </summary>
    public Task ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken, Action<IPEndPoint>? onListening = null) =>
        ListenAsync([endpoint], cancellationToken, onListening is null ? null : bound => onListening(bound[0]));

    /// <summary>
    /// Listens on every address in <paramref name="endpoints"/> (port 22 and 443, IPv4 and IPv6) with one set of
    /// connections and limits. All are bound before any accepts, so a busy port throws
    /// <see cref="SshListenException"/> naming it and nothing is left half listening;
    /// <paramref name="onListening"/> gets the bound addresses in the same order.
    /// </summary>
    public async Task ListenAsync(IReadOnlyList<IPEndPoint> endpoints, CancellationToken cancellationToken, Action<IReadOnlyList<IPEndPoint>>? onListening = null)
    {
        if (endpoints.Count == 0) throw new ArgumentException("at least one address to listen on is required", nameof(endpoints));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopListening.Token);
        var listeners = new List<Socket>();
        try
        {
            foreach (var endpoint in endpoints)
            {
                var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listeners.Add(listener);
                try
                {
                    listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    listener.Bind(endpoint);
                    // A burst of a few hundred connects (a CI farm) must reach admission, not die in the kernel's queue.
                    listener.Listen(1024);
                }
                catch (SocketException e)
                {
                    throw new SshListenException(endpoint, e);
                }
            }
            lock (_liveLock) _listening = true;
            onListening?.Invoke([.. listeners.Select(l => (IPEndPoint)l.LocalEndPoint!)]);
            await Task.WhenAll(listeners.Select(l => AcceptAsync(l, stop.Token))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var listener in listeners) listener.Dispose();
            _listenerClosed.TrySetResult();
            bool draining;
            lock (_liveLock) draining = _draining;
            if (!draining) await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task AcceptAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptAsync(stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (SocketException) { continue; }
            // Nagle off from the first byte: sshd enables it only after login and loses ~40 ms per side (docs/SSH-INTEROP.md §15).
            socket.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using (socket)
                await using (var stream = new NetworkStream(socket, ownsSocket: false))
                {
                    var remote = await ClientEndPointAsync(stream, socket.RemoteEndPoint).ConfigureAwait(false);
                    if (remote is not null) await RunConnectionAsync(stream, remote, CancellationToken.None).ConfigureAwait(false);
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>
    /// The address the connection stands for: the peer's, or, from a trusted proxy, the client's that its PROXY
    /// protocol header carries. Null when a trusted proxy sent no well-formed header in time: the connection was
    /// refused and logged (under the proxy's address) and must be closed.
    /// </summary>
    private async Task<EndPoint?> ClientEndPointAsync(Stream stream, EndPoint? peer)
    {
        if (_options.ProxyProtocol.IsTrustedSender is not { } trusted || peer is not IPEndPoint proxy) return peer;
        var address = proxy.Address.IsIPv4MappedToIPv6 ? proxy.Address.MapToIPv4() : proxy.Address;
        if (!trusted(address)) return peer;
        string reason;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            timeout.CancelAfter(_options.ProxyProtocol.HeaderTimeout);
            var header = await Transport.ProxyProtocol.ReadAsync(stream, timeout.Token).ConfigureAwait(false);
            return header.Source ?? peer;
        }
        catch (Transport.ProxyProtocolException e) { reason = e.Message; }
        catch (OperationCanceledException) { reason = $"no PROXY protocol header within {_options.ProxyProtocol.HeaderTimeout.TotalSeconds:0.###} s"; }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException) { reason = "connection closed before the PROXY protocol header ended"; }
        Statistics.OnRefused();
        _log.ConnectionRefused(peer, $"trusted proxy: {reason}");
        return null;
    }

    /// <summary>
    /// Closes the listening socket (new TCP connections are refused by the kernel from when this returns) and
    /// turns away any connection that arrives through <see cref="RunConnectionAsync"/>. Returns the number of
    /// connections still open.
    /// </summary>
    public async Task<int> StopAcceptingAsync()
    {
        bool listening;
        lock (_liveLock)
        {
            _draining = true;
            listening = _listening;
        }
        await _stopListening.CancelAsync().ConfigureAwait(false);
        if (listening) await _listenerClosed.Task.ConfigureAwait(false);
        lock (_liveLock) return _live.Count;
    }

    /// <summary>
    /// Closes every connection that runs no session, refuses new sessions, and waits up to
    /// <paramref name="grace"/> for the running ones to finish; then cancels what is left (git is killed) and
    /// waits for those connections to close. Calls <see cref="StopAcceptingAsync"/> first if nobody did.
    /// </summary>
    public async Task DrainAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        Connection.SshServerConnection[] live;
        lock (_liveLock)
        {
            live = [.. _live];
            if (_live.Count == 0) _allClosed.TrySetResult();
        }
        foreach (var connection in live) connection.BeginDrain();
        await Task.WhenAny(_allClosed.Task, Task.Delay(grace, cancellationToken)).ConfigureAwait(false);
        if (_allClosed.Task.IsCompleted) return;
        await _abort.CancelAsync().ConfigureAwait(false);
        // Each connection gives its sessions up to 10 s to notice (SshServerConnection.TearDownAsync).
        await Task.WhenAny(_allClosed.Task, Task.Delay(TimeSpan.FromSeconds(15), cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The principals of the connections that are logged in now, one per connection, for the application to check again.</summary>
    public IReadOnlyList<SshPrincipal> AuthenticatedPrincipals()
    {
        lock (_liveLock) return [.. _live.Select(c => c.Principal).OfType<SshPrincipal>()];
    }

    /// <summary>
    /// Closes every logged-in connection for whose principal <paramref name="reasonFor"/> returns a reason (null
    /// keeps it): its running sessions are ended and the client receives SSH_MSG_DISCONNECT (RFC 4253 §11.1,
    /// reason 11, by application) with that text. Returns how many connections were told to close.
    /// </summary>
    public int CloseConnections(Func<SshPrincipal, string?> reasonFor)
    {
        Connection.SshServerConnection[] live;
        lock (_liveLock) live = [.. _live];
        var closed = 0;
        foreach (var connection in live)
        {
            if (connection.Principal is not { } principal || reasonFor(principal) is not { } reason) continue;
            connection.Close(reason);
            closed++;
        }
        return closed;
    }

    /// <summary>Runs the whole SSH conversation on one byte stream; never throws.</summary>
    public async Task RunConnectionAsync(Stream stream, EndPoint? remote, CancellationToken cancellationToken)
    {
        bool draining;
        lock (_liveLock) draining = _draining;
        var ticket = draining ? null : _admission.TryEnter(remote);
        if (ticket is null)
        {
            var reason = draining ? "server shutting down" : "too many unauthenticated connections";
            Statistics.OnRefused();
            _log.ConnectionRefused(remote, reason);
            await RefuseAsync(stream, draining).ConfigureAwait(false);
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        var connection = new Connection.SshServerConnection(stream, remote, _options, _handler, _log, ticket.Release, Statistics);
        lock (_liveLock)
        {
            // Checked again under the lock: DrainAsync may have taken its list since the first look.
            if (!_draining) _live.Add(connection);
            else draining = true;
        }
        if (draining)
        {
            ticket.Release();
            Statistics.OnRefused();
            _log.ConnectionRefused(remote, "server shutting down");
            await RefuseAsync(stream, draining).ConfigureAwait(false);
            return;
        }
        try
        {
            Statistics.OnAccepted();
            await connection.RunAsync(cts.Token).ConfigureAwait(false);
        }
        finally
        {
            ticket.Release();
            Statistics.OnClosed();
            lock (_liveLock)
            {
                _live.Remove(connection);
                if (_draining && _live.Count == 0) _allClosed.TrySetResult();
            }
        }
    }

    // Refused early and cheaply: our identification line and a clear DISCONNECT, before any key exchange.
    private async Task RefuseAsync(Stream stream, bool shuttingDown)
    {
        var transport = new Transport.SshTransport(stream, _options.MaxInboundPacketSize);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await transport.SendVersionAsync("SSH-2.0-" + _options.SoftwareVersion, cts.Token).ConfigureAwait(false);
            if (shuttingDown)
                await transport.DisconnectAsync(SshDisconnectReason.ByApplication, "Server shutting down").ConfigureAwait(false);
            else
                await transport.DisconnectAsync(SshDisconnectReason.TooManyConnections, "Too many unauthenticated connections; try again later").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>An address the server could not listen on (in use, privileged, not on this machine); the inner exception says why.</summary>
public sealed class SshListenException(IPEndPoint endPoint, SocketException inner) : IOException($"cannot listen on {endPoint}: {inner.Message}", inner)
{
    public IPEndPoint EndPoint { get; } = endPoint;
}
