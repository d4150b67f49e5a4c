using System.Net;
using Wharf.Core;
using Wharf.Server.Hosting;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>
/// Where the SSH server listens: <c>wharf serve --ssh</c> or <c>Ssh:Listen</c>, one address or several. The first is the
/// primary: its port goes into clone URLs, the guide and /host-keys unless <c>Ssh:PublicPort</c> names another.
/// </summary>
public sealed record SshListenOptions(IReadOnlyList<IPEndPoint> EndPoints, bool PublicPortSet = false);

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

        var bound = new TaskCompletionSource<IReadOnlyList<IPEndPoint>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _listening = server.ListenAsync(listen.EndPoints, _stopping.Token, ep => bound.TrySetResult(ep));
        var first = await Task.WhenAny(bound.Task, _listening).WaitAsync(cancellationToken);
        if (first == _listening)
        {
            await _listening; // rethrows the bind failure
            throw new InvalidOperationException("The SSH listener stopped before it was ready.");
        }
        var endpoints = await bound.Task;
        // Clone URLs carry the primary's real port unless the operator named a public one (Ssh:PublicPort).
        if (!listen.PublicPortSet) address.SshPort = endpoints[0].Port;
        foreach (var endpoint in endpoints) announcer.Announce($"SSH listening on {endpoint}");
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
