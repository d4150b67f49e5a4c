using System.Net;
using Wharf.Core;
using Wharf.Server.Hosting;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>Where the SSH server listens; set by <c>wharf serve --ssh</c>.</summary>
public sealed record SshListenOptions(IPEndPoint EndPoint, bool PublicPortSet = false);

/// <summary>
/// Runs Wharf.Ssh's listener inside the host. Start completes only once the socket is bound, so a busy
/// port stops <c>wharf serve</c> with an error instead of leaving a server without its front door.
/// </summary>
public sealed class SshHostedService(
    SshListenOptions listen, SshServerOptions options, WharfSshHandler handler, SshLog log, ServeAnnouncer announcer, WebAddress address,
    SshServerStatistics statistics) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The running server, for its statistics; null until started.</summary>
    public SshServer? Server { get; private set; }
    private Task? _listening;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new SshServer(options, handler, log, statistics);
        Server = server;

        var bound = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        _listening = server.ListenAsync(listen.EndPoint, _stopping.Token, ep => bound.TrySetResult(ep));
        var first = await Task.WhenAny(bound.Task, _listening).WaitAsync(cancellationToken);
        if (first == _listening)
        {
            await _listening; // rethrows the bind failure
            throw new InvalidOperationException("The SSH listener stopped before it was ready.");
        }
        var endpoint = await bound.Task;
        // Clone URLs carry the real port unless the operator named a public one (Ssh:PublicPort).
        if (!listen.PublicPortSet) address.SshPort = endpoint.Port;
        announcer.Announce($"SSH listening on {endpoint}");
    }

    /// <summary>
    /// Graceful: the listener closes first (new connections are refused), connections that run nothing are
    /// closed, running git commands get <see cref="SshServerOptions.ShutdownGraceTime"/> to finish, then are ended.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Server is { } server)
        {
            var open = await server.StopAcceptingAsync();
            log.ShuttingDown(open, options.ShutdownGraceTime);
            await server.DrainAsync(options.ShutdownGraceTime, cancellationToken);
            log.Stopped(server.Statistics.ConnectionsOpen);
        }
        await _stopping.CancelAsync();
        if (_listening is not null) await _listening.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
