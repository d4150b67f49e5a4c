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

    public SshServer(SshServerOptions options, ISshServerHandler handler, ISshServerLog? log = null)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _log = log ?? NullSshServerLog.Instance;
    }

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
    public Task RunConnectionAsync(Stream stream, EndPoint? remote, CancellationToken cancellationToken)
    {
        var connection = new Connection.SshServerConnection(stream, remote, _options, _handler, _log);
        return connection.RunAsync(cancellationToken);
    }
}
