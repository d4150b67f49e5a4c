using System.Net;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.KeyExchange;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Transport;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Connection;

/// <summary>
/// One server-side SSH connection: the single read loop that hands each message to the layer that owns
/// it (key exchange, then user authentication, then channels) and the one place that tears the
/// connection down (docs/ARCHITECTURE.md, design rule 1).
/// </summary>
internal sealed class SshServerConnection(
    Stream stream, EndPoint? remote, SshServerOptions options, ISshServerHandler handler, ISshServerLog log,
    Action? onAuthenticated = null, SshServerStatistics? statistics = null)
{
    // How often the watchdog looks at idle time and rekey thresholds.
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromSeconds(1);

    // How long we wait for the client's KEXINIT before sending ours (docs/SSH-INTEROP.md §6).
    private static readonly TimeSpan KexInitFallback = TimeSpan.FromSeconds(1);

    private readonly Dictionary<uint, SessionChannel> _channels = [];
    private readonly Lock _channelsLock = new();
    private uint _nextChannelId;
    private bool _noMoreSessions;
    private long _lastActivity = System.Diagnostics.Stopwatch.GetTimestamp();
    private volatile bool _idleExpired;
    // Set by the server's shutdown (guarded by _channelsLock, like _channels): no new sessions, and the
    // connection closes once its last session ends. _drain is what closes it.
    private bool _draining;
    private readonly CancellationTokenSource _drain = new();
    // What keeps this connection alive: its read loop (1) plus every tracked background task still running.
    // The last one to end releases the connection in the statistics.
    private int _holds = 1;
    private readonly List<Task> _background = [];
    // Set once by Close: why the application ended this connection; sent as the DISCONNECT description.
    private string? _closedBecause;

    /// <summary>Who logged in on this connection; null until authentication succeeded.</summary>
    public SshPrincipal? Principal { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        statistics?.OnConnectionCreated();
        using var connectionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _drain.Token);
        using var graceCts = new CancellationTokenSource(options.LoginGraceTime);
        using var graceRegistration = graceCts.Token.Register(connectionCts.Cancel);
        var ct = connectionCts.Token;
        var serverVersion = "SSH-2.0-" + options.SoftwareVersion;
        var transport = new SshTransport(stream, options.MaxInboundPacketSize, options.MaxHeldDuringKeyExchange) { Statistics = statistics };
        var versionExchanged = false;
        var closeReason = "closed by client";
        UserAuthService? auth = null;
        try
        {
            await transport.SendVersionAsync(serverVersion, ct).ConfigureAwait(false);
            var clientVersion = await transport.ReadVersionAsync(ct).ConfigureAwait(false);
            versionExchanged = true;
            log.ConnectionOpened(remote, clientVersion);

            var kex = new ServerKeyExchange(transport, options, clientVersion, serverVersion, statistics);
            auth = new UserAuthService(transport, options, handler, remote);
            Track(() => SendKexInitIfClientIsSlowAsync(kex, ct));
            Track(() => WatchAsync(transport, kex, auth, connectionCts, ct));
            transport.RekeyAfterBytes = options.RekeyAfterBytes;
            transport.RekeyRequested = () =>
            {
                Track(() => RekeyAsync(kex, auth, ct));
                return Task.CompletedTask;
            };

            while (true)
            {
                var packet = await transport.ReadPacketAsync(ct).ConfigureAwait(false);
                if (packet is null) break;
                Interlocked.Exchange(ref _lastActivity, System.Diagnostics.Stopwatch.GetTimestamp());
                var payload = packet.Value;
                options.ReceivedPayloadObserver?.Invoke(payload);
                var number = payload.Span[0];
                if (await kex.HandleAsync(number, payload, ct).ConfigureAwait(false)) continue;
                switch (number)
                {
                    case MessageNumbers.Disconnect:
                        closeReason = "client sent disconnect";
                        return;
                    case MessageNumbers.Ignore:
                    case MessageNumbers.Debug:
                    case MessageNumbers.Unimplemented:
                    case MessageNumbers.ExtInfo: // a client's EXT_INFO is allowed and ignored (docs/SSH-INTEROP.md §7)
                        continue;
                }
                if (auth.Principal is null)
                {
                    if (await auth.HandleAsync(number, payload, kex.SessionId!, ct).ConfigureAwait(false))
                    {
                        if (auth.Principal is not null)
                        {
                            Principal = auth.Principal;
                            // Authenticated: the login grace timer and the unauthenticated-connection count no longer apply.
                            graceRegistration.Unregister();
                            onAuthenticated?.Invoke();
                            statistics?.OnAuthenticated();
                            log.AuthenticationSucceeded(remote, auth.UserName!, auth.Principal.Name, auth.KeyFingerprint!);
                            // As sshd does once a user is in: every host key, so UpdateHostKeys clients learn the next ones.
                            if (options.AnnounceHostKeys)
                                await transport.SendAsync(HostKeyRotation.Announcement([.. options.HostKeys, .. options.AnnouncedHostKeys]), ct).ConfigureAwait(false);
                        }
                        continue;
                    }
                    if (number >= MessageNumbers.GlobalRequest)
                        throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"message {number} before authentication");
                    await SendUnimplementedAsync(transport, ct).ConfigureAwait(false);
                    continue;
                }
                if (!await HandleConnectionMessageAsync(transport, auth, kex, number, payload, ct).ConfigureAwait(false))
                    await SendUnimplementedAsync(transport, ct).ConfigureAwait(false);
            }
        }
        catch (SshProtocolException e)
        {
            closeReason = e.Message;
            log.ProtocolError(remote, e.Reason, e.Message);
            if (versionExchanged) await transport.DisconnectAsync(e.Reason, e.Message).ConfigureAwait(false);
            else await transport.SendRawAsync("Invalid SSH identification string.\r\n").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _closedBecause) is { } because)
        {
            closeReason = "closed by the application: " + because;
            await transport.DisconnectAsync(SshDisconnectReason.ByApplication, because).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_idleExpired)
        {
            closeReason = "idle timeout";
            await transport.DisconnectAsync(SshDisconnectReason.ByApplication, "Idle timeout").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (graceCts.IsCancellationRequested && auth?.Principal is null)
        {
            closeReason = "login grace time exceeded";
            if (versionExchanged) await transport.DisconnectAsync(SshDisconnectReason.ByApplication, "Login grace time exceeded").ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            closeReason = "server shutting down";
            if (versionExchanged) await transport.DisconnectAsync(SshDisconnectReason.ByApplication, "Server shutting down").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException)
        {
            closeReason = "connection lost";
        }
        catch (Exception e)
        {
            // An application error (e.g. the key store is unreachable) ends this connection, never authenticates it.
            closeReason = "internal error";
            log.HandlerError(remote, e);
            if (versionExchanged) await transport.DisconnectAsync(SshDisconnectReason.ByApplication, "Internal error").ConfigureAwait(false);
        }
        finally
        {
            if (auth is { Principal: null, Attempted: true })
            {
                statistics?.OnAuthenticationFailed();
                log.AuthenticationFailed(remote, auth.AttemptedUser ?? "");
            }
            // Cancelled, not just disposed: disposing a token source does not wake what waits on its token,
            // so the watchdog's timer would tick on until the idle timeout with the whole connection held.
            await connectionCts.CancelAsync().ConfigureAwait(false);
            await TearDownAsync(transport).ConfigureAwait(false);
            log.ConnectionClosed(remote, closeReason);
            Release();
        }
    }

    /// <summary>
    /// Starts a task that belongs to this connection: it is counted in the statistics while it runs, keeps the
    /// connection counted as alive, and is awaited by the teardown. The work must end when the connection's
    /// token is cancelled and must not throw.
    /// </summary>
    private void Track(Func<Task> work)
    {
        Interlocked.Increment(ref _holds);
        statistics?.OnBackgroundTaskStarted();
        var task = RunTrackedAsync(work);
        lock (_background)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    private async Task RunTrackedAsync(Func<Task> work)
    {
        try
        {
            await Task.Yield();
            await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SshProtocolException)
        {
            // The read loop owns teardown; a failure here surfaces there too.
        }
        finally
        {
            statistics?.OnBackgroundTaskEnded();
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0) statistics?.OnConnectionReleased();
    }

    private async Task SendKexInitIfClientIsSlowAsync(ServerKeyExchange kex, CancellationToken ct)
    {
        try
        {
            await Task.Delay(KexInitFallback, ct).ConfigureAwait(false);
            await kex.SendInitialKexInitIfClientIsSilentAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Once a second: closes session channels that never asked for a command within
    /// <see cref="SshServerOptions.ExecRequestTimeout"/>, closes a connection idle for longer than
    /// <see cref="SshServerOptions.IdleTimeout"/> (nothing received and no command running), and starts a rekey after
    /// <see cref="SshServerOptions.RekeyAfterBytes"/> or <see cref="SshServerOptions.RekeyAfterTime"/>.
    /// </summary>
    private async Task WatchAsync(SshTransport transport, ServerKeyExchange kex, UserAuthService auth, CancellationTokenSource connectionCts, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(WatchdogPeriod);
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                await CloseChannelsWithoutCommandAsync().ConfigureAwait(false);
                if (options.IdleTimeout != Timeout.InfiniteTimeSpan && !HasRunningSessions()
                    && System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > options.IdleTimeout)
                {
                    _idleExpired = true;
                    await connectionCts.CancelAsync().ConfigureAwait(false);
                    return;
                }
                // Rekey only once authenticated, so delayed compression starts on a settled epoch. The byte
                // limit is also checked by the transport as it counts; this catches slow inbound-only traffic.
                if (auth.Principal is not null && !kex.InProgress
                    && (transport.BytesSinceKeyExchange >= options.RekeyAfterBytes
                        || System.Diagnostics.Stopwatch.GetElapsedTime(kex.LastCompletedTimestamp) >= options.RekeyAfterTime))
                {
                    await kex.TryStartRekeyAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SshProtocolException)
        {
            // The read loop owns teardown; a failed send here surfaces there too.
        }
    }

    private static async Task RekeyAsync(ServerKeyExchange kex, UserAuthService auth, CancellationToken ct)
    {
        if (auth.Principal is null) return;
        try { await kex.TryStartRekeyAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SshProtocolException) { }
    }

    // Only a running command holds the connection open past its idle timeout: a channel opened without one does not.
    private bool HasRunningSessions()
    {
        lock (_channelsLock) return _channels.Values.Any(c => c.IsRunning);
    }

    private async Task CloseChannelsWithoutCommandAsync()
    {
        SessionChannel[] late;
        lock (_channelsLock)
            late = [.. _channels.Values.Where(c => c.Running is null && System.Diagnostics.Stopwatch.GetElapsedTime(c.OpenedTimestamp) > options.ExecRequestTimeout)];
        foreach (var ch in late)
            if (await ch.CloseIfNeverStartedAsync().ConfigureAwait(false))
                log.ChannelClosedWithoutCommand(remote, options.ExecRequestTimeout);
    }

    /// <summary>
    /// The server is shutting down: refuse new session channels, and close the connection now if it runs
    /// none, else once the last one has ended (its exit status delivered).
    /// </summary>
    public void BeginDrain()
    {
        bool idle;
        lock (_channelsLock)
        {
            _draining = true;
            idle = _channels.Count == 0;
        }
        if (idle) _ = _drain.CancelAsync();
    }

    /// <summary>
    /// Ends the connection because the application says so (its key was revoked): running sessions are
    /// cancelled as on shutdown, and the client receives SSH_MSG_DISCONNECT with <paramref name="reason"/>.
    /// Only the first reason counts.
    /// </summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closedBecause, reason, null) is null) _ = _drain.CancelAsync();
    }

    private async Task<bool> HandleConnectionMessageAsync(SshTransport transport, UserAuthService auth, ServerKeyExchange kex, byte number,
        ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var r = new SshReader(payload.Span);
        r.ReadByte();
        switch (number)
        {
            case MessageNumbers.ServiceRequest:
            case MessageNumbers.UserAuthRequest:
                return true; // RFC 4252 §5.1: ignored after success
            case MessageNumbers.GlobalRequest:
            {
                var name = r.ReadString();
                var wantReply = r.ReadBoolean();
                // OpenSSH sends this only to servers that call themselves OpenSSH, but honour it anyway.
                if (name == "no-more-sessions@openssh.com") _noMoreSessions = true;
                if (name == HostKeyRotation.Prove && options.AnnounceHostKeys && wantReply)
                {
                    var answer = HostKeyRotation.Answer(ref r, [.. options.HostKeys, .. options.AnnouncedHostKeys], kex.SessionId!, kex.HostKeyAlgorithm);
                    await transport.SendAsync(answer, ct).ConfigureAwait(false);
                    return true;
                }
                // keepalive@openssh.com, tcpip-forward and everything else: refused; silence when no reply is wanted.
                if (wantReply) await transport.SendAsync(new byte[] { MessageNumbers.RequestFailure }, ct).ConfigureAwait(false);
                return true;
            }
            case MessageNumbers.ChannelOpen:
                await OnChannelOpenAsync(transport, ref r, ct).ConfigureAwait(false);
                return true;
            case MessageNumbers.ChannelWindowAdjust:
            {
                var ch = Find(r.ReadUInt32());
                ch?.OnWindowAdjust(r.ReadUInt32());
                return true;
            }
            case MessageNumbers.ChannelData:
            {
                var ch = Find(r.ReadUInt32());
                var data = r.ReadBinary();
                ch?.OnData(data);
                return true;
            }
            case MessageNumbers.ChannelExtendedData:
                return true; // clients have no stderr to send a session; drop it
            case MessageNumbers.ChannelEof:
                Find(r.ReadUInt32())?.OnEof();
                return true;
            case MessageNumbers.ChannelClose:
            {
                var ch = Find(r.ReadUInt32());
                if (ch is not null) await ch.OnCloseAsync().ConfigureAwait(false);
                return true;
            }
            case MessageNumbers.ChannelRequest:
                await OnChannelRequestAsync(transport, auth, payload, ct).ConfigureAwait(false);
                return true;
            case MessageNumbers.ChannelSuccess:
            case MessageNumbers.ChannelFailure:
            case MessageNumbers.RequestSuccess:
            case MessageNumbers.RequestFailure:
                return true; // we send no requests that want replies
            default:
                return false;
        }
    }

    private Task OnChannelOpenAsync(SshTransport transport, ref SshReader r, CancellationToken ct)
    {
        var type = r.ReadString();
        var sender = r.ReadUInt32();
        var window = r.ReadUInt32();
        var maxPacket = r.ReadUInt32();
        if (type != "session")
            // direct-tcpip, x11, auth-agent and the rest: forwarding is never offered (RFC 4254 §5.1 reason 1).
            return SendOpenFailureAsync(transport, sender, 1, "administratively prohibited", ct).AsTask();
        if (_noMoreSessions)
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "session opened after no-more-sessions");
        if (maxPacket == 0)
            return SendOpenFailureAsync(transport, sender, 2, "maximum packet size must not be zero", ct).AsTask();
        SessionChannel channel;
        lock (_channelsLock)
        {
            // RFC 4254 §5.1 reason 4 (resource shortage): OpenSSH prints the description.
            if (_draining)
                return SendOpenFailureAsync(transport, sender, 4, "server shutting down", ct).AsTask();
            if (_channels.Count >= options.MaxSessions)
                return SendOpenFailureAsync(transport, sender, 4, "too many sessions", ct).AsTask();
            channel = new SessionChannel(_nextChannelId++, sender, window, maxPacket, transport, options, Forget);
            _channels.Add(channel.LocalId, channel);
        }
        var w = new SshWriter(32);
        w.WriteByte(MessageNumbers.ChannelOpenConfirmation);
        w.WriteUInt32(sender);
        w.WriteUInt32(channel.LocalId);
        w.WriteUInt32((uint)options.ChannelWindowSize);
        w.WriteUInt32((uint)options.ChannelMaxPacketSize);
        return transport.SendAsync(w.WrittenMemory, ct).AsTask();
    }

    private static ValueTask SendOpenFailureAsync(SshTransport transport, uint recipient, uint reason, string description, CancellationToken ct)
    {
        var w = new SshWriter(64);
        w.WriteByte(MessageNumbers.ChannelOpenFailure);
        w.WriteUInt32(recipient);
        w.WriteUInt32(reason);
        w.WriteString(description);
        w.WriteString("");
        return transport.SendAsync(w.WrittenMemory, ct);
    }

    private async Task OnChannelRequestAsync(SshTransport transport, UserAuthService auth, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var (recipient, request, wantReply, command, envName, envValue) = ParseChannelRequest(payload.Span);
        var ch = Find(recipient);
        if (ch is null) return;
        var ok = false;
        // The reply must precede any output of the started command, so the application waits for it to be sent. Its
        // first write could otherwise take the send lock first: it runs on another thread from the moment it starts.
        var replied = wantReply ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        try
        {
            switch (request)
            {
                case "env":
                    ch.OnEnv(envName!, envValue!);
                    ok = true;
                    break;
                case "exec":
                    ok = ch.Start(handler, auth.Principal!, auth.UserName!, command, remote, log, replied?.Task);
                    break;
                case "shell":
                    ok = ch.Start(handler, auth.Principal!, auth.UserName!, null, remote, log, replied?.Task);
                    break;
                // pty-req, x11-req, auth-agent-req@openssh.com, subsystem, PuTTY's winadj@... and the rest:
                // FAILURE when a reply is wanted (docs/SSH-INTEROP.md §13); the session goes on.
            }
            if (ok && request is "exec" or "shell" && ch.Running is { } running) Track(() => running);
            if (!wantReply) return;
            var w = new SshWriter(8);
            w.WriteByte(ok ? MessageNumbers.ChannelSuccess : MessageNumbers.ChannelFailure);
            w.WriteUInt32(ch.RemoteId);
            await transport.SendAsync(w.WrittenMemory, ct).ConfigureAwait(false);
        }
        finally
        {
            // Also when the reply could not be sent: the application then finds the connection closing.
            replied?.TrySetResult();
        }
    }

    private static (uint Recipient, string Request, bool WantReply, string? Command, string? EnvName, string? EnvValue) ParseChannelRequest(ReadOnlySpan<byte> payload)
    {
        var r = new SshReader(payload);
        r.ReadByte();
        var recipient = r.ReadUInt32();
        var request = r.ReadString();
        var wantReply = r.ReadBoolean();
        string? command = null, name = null, value = null;
        switch (request)
        {
            case "exec":
                command = r.ReadString();
                break;
            case "env":
                name = r.ReadString();
                value = r.ReadString();
                break;
        }
        return (recipient, request, wantReply, command, name, value);
    }

    private SessionChannel? Find(uint localId)
    {
        lock (_channelsLock)
        {
            _channels.TryGetValue(localId, out var ch);
            return ch;
        }
    }

    private void Forget(SessionChannel ch)
    {
        bool drained;
        lock (_channelsLock)
        {
            _channels.Remove(ch.LocalId);
            drained = _draining && _channels.Count == 0;
        }
        // Not Cancel(): this runs inside the read loop or a session's task, and must not run the teardown inline.
        if (drained) _ = _drain.CancelAsync();
    }

    private static ValueTask SendUnimplementedAsync(SshTransport transport, CancellationToken ct)
    {
        var w = new SshWriter(8);
        w.WriteByte(MessageNumbers.Unimplemented);
        w.WriteUInt32(transport.LastReceivedSequence);
        return transport.SendAsync(w.WrittenMemory, ct);
    }

    private async Task TearDownAsync(SshTransport transport)
    {
        SessionChannel[] channels;
        lock (_channelsLock)
        {
            channels = [.. _channels.Values];
            _channels.Clear();
        }
        foreach (var ch in channels) ch.Abort();
        // Sessions (tracked too), the watchdog, the KEXINIT fallback and rekeys: all wait on the connection's
        // token, cancelled by now. Let applications notice the cancellation (git is killed by its runner), but
        // never hang here; whatever is still running is counted in the statistics until it ends.
        Task[] background;
        lock (_background) background = [.. _background];
        if (background.Length > 0)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await Task.WhenAll(background).WaitAsync(bound.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (bound.IsCancellationRequested) { }
        }
        await transport.DisposeAsync().ConfigureAwait(false);
    }
}
