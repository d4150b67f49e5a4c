using System.Net;
using System.Net.Sockets;

namespace Wharf.Ssh.Server;

/// <summary>
/// Accepts TCP connections and runs one <see cref="Connection.SshServerConnection"/> per socket.
/// Hosts that own their own sockets (a Kestrel ConnectionHandler, tests over pipes) call
/// <see cref="RunConnectionAsync"/> directly.
/// </summary>
public sealed class SshServer
{
    private readonly SshServerOptions _options;
    private readonly ISshServerHandler _handler;
    private readonly ISshServerLog _log;
    private readonly ConnectionAdmission _admission;

    public SshServer(SshServerOptions options, ISshServerHandler handler, ISshServerLog? log = null)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _log = log ?? NullSshServerLog.Instance;
        _admission = new ConnectionAdmission(options.MaxUnauthenticatedConnections, options.MaxUnauthenticatedPerSource);
    }

    public SshServerStatistics Statistics { get; } = new();

    /// <summary>Connections accepted that have not authenticated yet.</summary>
    public int UnauthenticatedConnections => _admission.Unauthenticated;

    /// <summary>Listens until cancelled. Returns once the listener is closed; running connections are cancelled too.</summary>
    public async Task ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken, Action<IPEndPoint>? onListening = null)
    {
        using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endpoint);
        listener.Listen(512);
        onListening?.Invoke((IPEndPoint)listener.LocalEndPoint!);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (SocketException) { continue; }
            // Nagle off from the first byte: sshd enables it only after login and loses ~40 ms per side (SSH-NOTES §3.2).
            socket.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using (socket)
                await using (var stream = new NetworkStream(socket, ownsSocket: false))
                {
                    await RunConnectionAsync(stream, socket.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>Runs the whole SSH conversation on one byte stream; never throws.</summary>
    public async Task RunConnectionAsync(Stream stream, EndPoint? remote, CancellationToken cancellationToken)
    {
        var ticket = _admission.TryEnter(remote);
        if (ticket is null)
        {
            Statistics.OnRefused();
            _log.ConnectionRefused(remote, "too many unauthenticated connections");
            await RefuseAsync(stream).ConfigureAwait(false);
            return;
        }
        try
        {
            Statistics.OnAccepted();
            var connection = new Connection.SshServerConnection(stream, remote, _options, _handler, _log, ticket.Release, Statistics);
            await connection.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ticket.Release();
        }
    }

    // Refused early and cheaply: our identification line and a clear DISCONNECT, before any key exchange.
    private async Task RefuseAsync(Stream stream)
    {
        var transport = new Transport.SshTransport(stream, _options.MaxInboundPacketSize);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await transport.SendVersionAsync("SSH-2.0-" + _options.SoftwareVersion, cts.Token).ConfigureAwait(false);
            await transport.DisconnectAsync(SshDisconnectReason.TooManyConnections, "Too many unauthenticated connections; try again later").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }
}
