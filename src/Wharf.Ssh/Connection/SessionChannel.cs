using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Transport;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Connection;

/// <summary>
/// One "session" channel (RFC 4254 §6): collects env, runs one exec or shell through the application,
/// and ends in the order git expects: all output, then exit-status, then EOF, then CLOSE (docs/SSH-INTEROP.md §14).
/// Inbound calls (On*) come from the read loop and never block it.
/// </summary>
internal sealed class SessionChannel
{
    private readonly SshTransport _transport;
    private readonly SshServerOptions _options;
    private readonly WindowCredit _sendWindow;
    private readonly int _maxChunk;
    // Inbound data is bounded by the window we grant, so the pipe itself never needs to push back;
    // pausing it would stall the single read loop.
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _stateLock = new();
    private long _receiveWindow;
    private int _consumedSinceAdjust;
    private bool _started;
    private bool _eofReceived;
    private bool _closeSent;

    private readonly Action<SessionChannel> _onFinished;

    public SessionChannel(uint localId, uint remoteId, uint peerWindow, uint peerMaxPacket, SshTransport transport, SshServerOptions options, Action<SessionChannel> onFinished)
    {
        _onFinished = onFinished;
        LocalId = localId;
        RemoteId = remoteId;
        _transport = transport;
        _options = options;
        _sendWindow = new WindowCredit(peerWindow);
        _maxChunk = (int)Math.Min(peerMaxPacket, 32 * 1024);
        _receiveWindow = options.ChannelWindowSize;
    }

    public uint LocalId { get; }
    public uint RemoteId { get; }
    public bool CloseReceived { get; private set; }
    public Task? Running { get; private set; }
    /// <summary>Stopwatch timestamp of the channel's opening, for <see cref="SshServerOptions.ExecRequestTimeout"/>.</summary>
    public long OpenedTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    /// <summary>An exec or shell is running (started and not yet ended).</summary>
    public bool IsRunning => Running is { IsCompleted: false };


    public void OnWindowAdjust(uint bytes) => _sendWindow.Add(bytes);

    public void OnData(ReadOnlySpan<byte> data)
    {
        if (_eofReceived || CloseReceived) return; // RFC 4254 §5.3: no data after EOF; drop it
        if (data.Length > Interlocked.Read(ref _receiveWindow) || data.Length > _options.ChannelMaxPacketSize)
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "channel data exceeds window or maximum packet size");
        Interlocked.Add(ref _receiveWindow, -data.Length);
        _input.Writer.Write(data);
        var flush = _input.Writer.FlushAsync();
        // Cannot pend: the pipe never pauses (see _input).
        if (!flush.IsCompleted) _ = flush.AsTask();
    }

    public void OnEof()
    {
        _eofReceived = true;
        _input.Writer.Complete();
    }

    public void OnEnv(string name, string value)
    {
        if (_options.AllowedEnvironment.Contains(name) && _environment.Count < 64 && value.Length <= 1024)
            _environment[name] = value;
    }

    /// <summary>
    /// Starts the application for an exec (command) or shell (null). Returns false if already started. The application
    /// runs once <paramref name="replied"/> has completed: the request's CHANNEL_SUCCESS must reach the client before any
    /// output (PuTTY's plink gives up with "Server refused to start a shell/command" when data and CLOSE come first).
    /// </summary>
    public bool Start(ISshServerHandler handler, SshPrincipal principal, string userName, string? command, EndPoint? remote, ISshServerLog log,
        Task? replied = null)
    {
        lock (_stateLock)
        {
            if (_started) return false;
            _started = true;
        }
        var session = new SshSession
        {
            Principal = principal,
            UserName = userName,
            Command = command,
            Environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal),
            RemoteEndPoint = remote,
            Input = new ChannelInputStream(_input.Reader, this),
            Output = new ChannelOutputStream(this, 0),
            Error = new ChannelOutputStream(this, 1),
        };
        Running = Task.Run(async () =>
        {
            if (replied is not null) await replied.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await RunAsync(handler, session, remote, log).ConfigureAwait(false);
        });
        return true;
    }

    private async Task RunAsync(ISshServerHandler handler, SshSession session, EndPoint? remote, ISshServerLog log)
    {
        int exitStatus;
        try
        {
            exitStatus = await handler.RunSessionAsync(session, _cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException && _cts.IsCancellationRequested)
        {
            exitStatus = 255;
        }
        catch (Exception e)
        {
            log.HandlerError(remote, e);
            exitStatus = 1;
            try { await session.Error.WriteAsync("Internal error.\n"u8.ToArray(), _cts.Token).ConfigureAwait(false); }
            catch (Exception inner) when (inner is IOException or OperationCanceledException or ObjectDisposedException) { }
        }
        try
        {
            await FinishAsync(exitStatus).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is going away; there is nobody to tell the exit status to.
        }
    }

    private async Task FinishAsync(int exitStatus)
    {
        lock (_stateLock)
        {
            if (_closeSent) return;
        }
        if (!CloseReceived)
        {
            var w = new SshWriter(64);
            w.WriteByte(MessageNumbers.ChannelRequest);
            w.WriteUInt32(RemoteId);
            w.WriteString("exit-status");
            w.WriteBoolean(false);
            w.WriteUInt32((uint)exitStatus);
            await _transport.SendAsync(w.WrittenMemory).ConfigureAwait(false);
            await SendSimpleAsync(MessageNumbers.ChannelEof).ConfigureAwait(false);
        }
        await SendCloseAsync().ConfigureAwait(false);
    }

    /// <summary>The client closed the channel: stop the application and answer with our CLOSE once it ends.</summary>
    public async Task OnCloseAsync()
    {
        bool finished;
        lock (_stateLock)
        {
            CloseReceived = true;
            finished = _closeSent;
        }
        _sendWindow.Close();
        _input.Writer.Complete();
        _cts.Cancel();
        if (finished) _onFinished(this);
        else if (!_started) await SendCloseAsync().ConfigureAwait(false);
    }

    private async Task SendCloseAsync()
    {
        bool finished;
        lock (_stateLock)
        {
            if (_closeSent) return;
            _closeSent = true;
            finished = CloseReceived;
        }
        _sendWindow.Close();
        await SendSimpleAsync(MessageNumbers.ChannelClose).ConfigureAwait(false);
        // The channel number may be reused only once CLOSE went both ways (RFC 4254 §5.3).
        if (finished) _onFinished(this);
    }

    private ValueTask SendSimpleAsync(byte number)
    {
        var w = new SshWriter(8);
        w.WriteByte(number);
        w.WriteUInt32(RemoteId);
        return _transport.SendAsync(w.WrittenMemory);
    }

    public async ValueTask SendDataAsync(uint extendedType, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            // Take as much window as there is for the whole write; the transport cuts it into packets.
            var n = await _sendWindow.TakeAsync(data.Length, ct).ConfigureAwait(false);
            await _transport.SendChannelDataAsync(RemoteId, extendedType, data[..n], _maxChunk, ct).ConfigureAwait(false);
            data = data[n..];
        }
    }

    /// <summary>
    /// <see cref="SendDataAsync"/> for a caller on a thread of its own that may block, such as the pump of a process's
    /// output: the window and the transport are waited for on the calling thread, which also seals and writes the
    /// packets. A window adjust then wakes that thread directly instead of a thread-pool worker that finishes the send
    /// and wakes it after.
    /// </summary>
    public void SendData(uint extendedType, ReadOnlySpan<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var n = _sendWindow.Take(data.Length, ct);
            _transport.SendChannelData(RemoteId, extendedType, data[..n], _maxChunk, ct);
            data = data[n..];
        }
    }

    /// <summary>Returns window credit once half the window has been consumed (Go channel.go adjustWindow).</summary>
    public ValueTask OnInputConsumedAsync(int bytes)
    {
        var total = Interlocked.Add(ref _consumedSinceAdjust, bytes);
        if (total < _options.ChannelWindowSize / 2 || CloseReceived) return ValueTask.CompletedTask;
        Interlocked.Add(ref _consumedSinceAdjust, -total);
        Interlocked.Add(ref _receiveWindow, total);
        var w = new SshWriter(16);
        w.WriteByte(MessageNumbers.ChannelWindowAdjust);
        w.WriteUInt32(RemoteId);
        w.WriteUInt32((uint)total);
        return _transport.SendAsync(w.WrittenMemory);
    }

    /// <summary>
    /// Closes the channel from our side if it never got an exec or shell (<see cref="SshServerOptions.ExecRequestTimeout"/>);
    /// a later exec is refused. Returns false when a command was started or the channel is already closing.
    /// </summary>
    public async Task<bool> CloseIfNeverStartedAsync()
    {
        lock (_stateLock)
        {
            if (_started || _closeSent || CloseReceived) return false;
            _started = true;
        }
        _input.Writer.Complete();
        await SendCloseAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>The connection is ending: stop the application and wake every waiter.</summary>
    public void Abort()
    {
        _sendWindow.Close();
        _input.Writer.Complete();
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }
}
