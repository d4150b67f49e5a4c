using System.Net;
using Wharf.Ssh.Server;

namespace Wharf.Ssh.Connection;

// Placeholder until the transport lands; keeps the public API compiling for the application projects.
internal sealed class SshServerConnection(Stream stream, EndPoint? remote, SshServerOptions options, ISshServerHandler handler, ISshServerLog log)
{
    public Task RunAsync(CancellationToken cancellationToken)
    {
        _ = (stream, remote, options, handler, log, cancellationToken);
        throw new NotImplementedException();
    }
}
