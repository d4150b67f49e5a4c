using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Messages;

namespace Wharf.Ssh.Transport;

/// <summary>
/// The binary packet protocol of RFC 4253 §4-6 over one byte stream: version exchange, framing,
/// sequence numbers, per-direction protection, and the send gate that holds back non-transport
/// messages while a key exchange is in progress (§7.1, docs/SSH-INTEROP.md §10).
/// Reading is done by exactly one loop; sending is serialised by a lock and may come from any task.
/// </summary>
internal sealed class SshTransport : IAsyncDisposable
{
    // RFC 4253 §4.2: the identification line is at most 255 characters including CR LF.
    private const int MaxVersionLine = 255;

    // The packet buffers start small and grow once, to the largest packet the connection has seen (a 32 KiB
    // channel data packet makes them 36 KiB), then stay: an idle logged-in connection (hundreds at once from a
    // CI farm, held for hours) never sent one, and 3 x 36 KiB each would be most of what it costs.
    private const int InitialBufferSize = 4 * 1024;

    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly int _maxPacket;

    // Receive state: touched only by the read loop.
    private PacketProtection _recv = NoProtection.Instance;
    private uint _recvSeq;
    private byte[] _recvBuffer = new byte[InitialBufferSize];

    // Send state: guarded by _sendLock. The buffers are reused for every packet (no per-packet allocation).
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private PacketProtection _send = NoProtection.Instance;
    private uint _sendSeq;
    private byte[] _sendBuffer = new byte[InitialBufferSize];
    private bool _kexPending;
    private readonly List<byte[]> _heldDuringKex = [];
    private TaskCompletionSource _kexDone = NewCompletedSource();
    private bool _closed;

    // zlib@openssh.com: negotiated per key epoch, active only after authentication (delayed compression,
    // docs/SSH-INTEROP.md §12). The deflater is guarded by _sendLock; the inflater belongs to the read loop.
    public const string DelayedZlib = "zlib@openssh.com";
    private string _sendCompression = "none";
    private string _receiveCompression = "none";
    private bool _authenticated;
    private ZlibCompression? _deflater;
    private ZlibCompression? _inflater;
    private byte[] _scratch = new byte[InitialBufferSize];

    // Padding bytes (RFC 4253 §6: random), drawn from the system's generator a kilobyte at a time instead of once per
    // packet: one call costs about as much as sealing a small packet (a lock and a fork check inside OpenSSL), and a
    // bulk transfer seals one packet per 32 KiB. Each byte is used once. Guarded by _sendLock; allocated at the first
    // packet.
    private byte[]? _padding;
    private int _paddingUsed;

    // The connection's socket when the stream is a NetworkStream: a thread that may block (a process's output pump)
    // then writes to it directly and waits for room with poll(2), instead of an asynchronous write whose completion
    // goes through the socket engine's thread and a thread-pool worker before it wakes the writer (FlushSend).
    private readonly System.Net.Sockets.Socket? _socket;

    private readonly int _maxHeld;
    private long _bytesSinceKex;
    private bool _rekeyRequested;

    /// <summary>Bytes after which <see cref="RekeyRequested"/> fires once per key epoch.</summary>
    public long RekeyAfterBytes { get; set; } = long.MaxValue;

    /// <summary>Called (on the thread pool) when traffic since the last key exchange passes <see cref="RekeyAfterBytes"/>.</summary>
    public Func<Task>? RekeyRequested { get; set; }

    /// <summary>Where packet bytes in and out are added up for the server's metrics; null counts nothing.</summary>
    public Server.SshServerStatistics? Statistics { get; set; }

    public SshTransport(Stream stream, int maxInboundPacket, int maxHeldDuringKex = 64)
    {
        _stream = stream;
        _socket = (stream as System.Net.Sockets.NetworkStream)?.Socket;
        _maxPacket = maxInboundPacket;
        _maxHeld = maxHeldDuringKex;
        // Zero-byte reads (as Kestrel does): while the peer is silent the reader waits without holding a
        // 64 KiB buffer rented from the pool; one is taken only once bytes have arrived.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true, useZeroByteReads: true));
    }

    /// <summary>Sequence number of the packet most recently returned by <see cref="ReadPacketAsync"/>.</summary>
    public uint LastReceivedSequence { get; private set; }

    /// <summary>Bytes sent and received since the last key exchange finished; drives the server's rekey.</summary>
    public long BytesSinceKeyExchange => Interlocked.Read(ref _bytesSinceKex);

    /// <summary>Packets received so far in total (never reset; strict KEX checks the first one).</summary>
    public ulong PacketsReceived { get; private set; }

    public async Task SendVersionAsync(string versionLine, CancellationToken ct)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(versionLine + "\r\n"), ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the client's identification line. A server must not accept anything before it (unlike a
    /// client, which skips banner lines): OpenSSH answers "invalid protocol identifier".
    /// </summary>
    public async Task<string> ReadVersionAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                var nl = buffer.PositionOf((byte)'\n');
                if (nl is null)
                {
                    if (buffer.Length >= MaxVersionLine)
                        throw new SshProtocolException(SshDisconnectReason.ProtocolVersionNotSupported, "identification line too long");
                    if (result.IsCompleted) throw new EndOfStreamException("connection closed before identification");
                    continue;
                }
                var lineSeq = buffer.Slice(0, nl.Value);
                consumed = buffer.GetPosition(1, nl.Value);
                // Only the line is examined: the client's KEXINIT often arrives in the same segment and
                // must be seen by the next read without waiting for more bytes.
                examined = consumed;
                if (lineSeq.Length + 1 > MaxVersionLine)
                    throw new SshProtocolException(SshDisconnectReason.ProtocolVersionNotSupported, "identification line too long");
                var line = Encoding.ASCII.GetString(lineSeq.ToArray()).TrimEnd('\r');
                if (!line.StartsWith("SSH-", StringComparison.Ordinal))
                {
                    // Said plainly, so that an operator who forgot Ssh:TrustedProxies (or an address spoofing a proxy) sees why.
                    if (ProxyProtocol.LooksLikeHeader(buffer.Slice(0, Math.Min(12, buffer.Length)).ToArray()))
                        throw new SshProtocolException(SshDisconnectReason.ProtocolError, "PROXY protocol header from a sender that is not a trusted proxy");
                    throw new SshProtocolException(SshDisconnectReason.ProtocolError, "invalid SSH identification string");
                }
                if (!line.StartsWith("SSH-2.0-", StringComparison.Ordinal) && !line.StartsWith("SSH-1.99-", StringComparison.Ordinal))
                    throw new SshProtocolException(SshDisconnectReason.ProtocolVersionNotSupported, "protocol version not supported");
                foreach (var c in line)
                    if (c < 0x20 || c > 0x7e) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "invalid character in identification string");
                return line;
            }
            finally
            {
                _input.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>
    /// Reads, verifies and decrypts one packet. The returned payload lives in a buffer owned by the
    /// transport and stays valid only until the next call. Returns false at end of stream.
    /// Never reads ahead across a packet: keys switched after NEWKEYS apply to the very next packet.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadPacketAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (TryReadPacket(buffer, out var payload, out var packetEnd))
                {
                    consumed = packetEnd;
                    examined = packetEnd;
                    return payload;
                }
                if (result.IsCompleted)
                {
                    if (buffer.Length == 0) return null;
                    throw new SshProtocolException(SshDisconnectReason.ConnectionLost, "connection closed in the middle of a packet");
                }
            }
            finally
            {
                _input.AdvanceTo(consumed, examined);
            }
        }
    }

    private bool TryReadPacket(ReadOnlySequence<byte> buffer, out ReadOnlyMemory<byte> payload, out SequencePosition end)
    {
        payload = default;
        end = default;
        if (buffer.Length < 4) return false;
        Span<byte> first4 = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first4);
        var length = _recv.ReadLength(first4, _recvSeq);
        var aligned = _recv.LengthIsAligned ? length + 4 : length;
        if (length < 8 || length > _maxPacket || aligned % (uint)_recv.BlockSize != 0)
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"bad packet length {length}");
        var tagSize = _recv.TagSize;
        var total = 4 + (int)length + tagSize;
        if (buffer.Length < total) return false;

        if (_recvBuffer.Length < total) _recvBuffer = new byte[Math.Max(total, _recvBuffer.Length * 2)];
        var packet = _recvBuffer.AsSpan(0, 4 + (int)length);
        var tag = _recvBuffer.AsSpan(4 + (int)length, tagSize);
        buffer.Slice(0, total).CopyTo(_recvBuffer);
        if (!_recv.Open(packet, tag, _recvSeq))
            throw new SshProtocolException(SshDisconnectReason.MacError, "message authentication code incorrect");
        var padding = packet[4];
        if (padding < 4 || padding > length - 1)
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "bad padding length");
        LastReceivedSequence = _recvSeq;
        _recvSeq++;
        Interlocked.Add(ref _bytesSinceKex, total);
        Statistics?.OnReceived(total);
        PacketsReceived++;
        end = buffer.GetPosition(total);
        payload = _recvBuffer.AsMemory(5, (int)length - 1 - padding);
        if (_inflater is not null) payload = _inflater.Process(payload.Span);
        if (payload.Length == 0) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "empty packet");
        return true;
    }

    /// <summary>Takes new receive keys right after NEWKEYS arrived (RFC 4253 §7.3); strict KEX resets the sequence number.</summary>
    public void SwitchReceiveKeys(PacketProtection protection, bool resetSequence, string compression = "none")
    {
        var old = _recv;
        _recv = protection;
        if (resetSequence) _recvSeq = 0;
        if (!ReferenceEquals(old, NoProtection.Instance)) old.Dispose();
        // A fresh zlib context at every NEWKEYS, per direction (OpenSSH ssh_set_newkeys).
        _receiveCompression = compression;
        _inflater?.Dispose();
        _inflater = _authenticated && compression == DelayedZlib ? ZlibCompression.CreateInflater(_maxPacket) : null;
    }

    /// <summary>
    /// Sends USERAUTH_SUCCESS and, right after it, turns on delayed compression in both directions when it
    /// was negotiated: the server switches on sending the success, the client on receiving it. Called from
    /// the read loop, so the inflater switch cannot race the next packet.
    /// </summary>
    public async ValueTask SendAuthenticationSuccessAsync(CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_closed) throw new ObjectDisposedException(nameof(SshTransport));
            if (_kexPending) _heldDuringKex.Add([Messages.MessageNumbers.UserAuthSuccess]);
            else WritePacket([Messages.MessageNumbers.UserAuthSuccess]);
            _authenticated = true;
            if (!_kexPending && _sendCompression == DelayedZlib) _deflater = ZlibCompression.CreateDeflater();
            if (_receiveCompression == DelayedZlib) _inflater = ZlibCompression.CreateInflater(_maxPacket);
            await FlushSendAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends one message. Transport messages go out at once; others are held while a key exchange is in
    /// progress and sent, in order, right after our NEWKEYS. The reader never waits here.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_closed) throw new ObjectDisposedException(nameof(SshTransport));
            if (_kexPending && !MessageNumbers.AllowedDuringKex(payload.Span[0]))
            {
                // Bounded: a peer that keeps asking for replies during a key exchange is cut off, not buffered for.
                if (_heldDuringKex.Count >= _maxHeld)
                    throw new SshProtocolException(SshDisconnectReason.ProtocolError, "too many messages queued during key exchange");
                _heldDuringKex.Add(payload.ToArray());
                return;
            }
            WritePacket(payload.Span);
            await FlushSendAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends CHANNEL_DATA or CHANNEL_EXTENDED_DATA straight from the caller's buffer into the packet buffer.
    /// Bulk writers wait for a key exchange to finish instead of growing the held queue (Go caps its queue
    /// for the same reason, docs/SSH-INTEROP.md §10).
    /// </summary>
    public async ValueTask SendChannelDataAsync(uint recipient, uint extendedType, ReadOnlyMemory<byte> data, int maxChunk, CancellationToken ct)
    {
        while (true)
        {
            Task? wait = null;
            await _sendLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (_closed) throw new ObjectDisposedException(nameof(SshTransport));
                if (!_kexPending)
                {
                    data = data[WriteChannelDataBatch(recipient, extendedType, data.Span, maxChunk)..];
                    await FlushSendAsync(ct).ConfigureAwait(false);
                    if (data.IsEmpty) return;
                }
                else
                {
                    wait = _kexDone.Task;
                }
            }
            finally
            {
                _sendLock.Release();
            }
            if (wait is not null) await wait.WaitAsync(ct).ConfigureAwait(false);
            // Give the rekey task its turn at the lock before the rest of the batch.
            else await Task.Yield();
        }
    }

    /// <summary>
    /// <see cref="SendChannelDataAsync"/> for a caller on a thread of its own that may block: the lock, a key exchange in
    /// progress and a full socket are waited for on the calling thread, and the packets are sealed and written by it,
    /// with no thread-pool work item in between. Used by <see cref="Wharf.Ssh.Connection.SessionChannel.SendData"/>.
    /// </summary>
    public void SendChannelData(uint recipient, uint extendedType, ReadOnlySpan<byte> data, int maxChunk, CancellationToken ct)
    {
        while (true)
        {
            Task? wait = null;
            _sendLock.Wait(ct);
            try
            {
                if (_closed) throw new ObjectDisposedException(nameof(SshTransport));
                if (!_kexPending)
                {
                    data = data[WriteChannelDataBatch(recipient, extendedType, data, maxChunk)..];
                    FlushSend(ct);
                    if (data.IsEmpty) return;
                }
                else
                {
                    wait = _kexDone.Task;
                }
            }
            finally
            {
                _sendLock.Release();
            }
            // A key exchange is rare: waiting through WaitAsync keeps the asynchronous path's exceptions (a cancelled
            // exchange throws as itself, not inside an AggregateException).
            if (wait is not null) wait.WaitAsync(ct).GetAwaiter().GetResult();
            else Thread.Yield();
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="data"/> as goes out now into the send buffer, in packets of at most
    /// <paramref name="maxChunk"/> bytes, and returns how much that was. Several packets, one socket write: what git
    /// hands over in one read goes out together, as OpenSSH's output buffer does. Called under the send lock.
    /// </summary>
    private int WriteChannelDataBatch(uint recipient, uint extendedType, ReadOnlySpan<byte> data, int maxChunk)
    {
        var written = 0;
        while (written < data.Length)
        {
            var chunk = data.Slice(written, Math.Min(maxChunk, data.Length - written));
            WriteChannelData(recipient, extendedType, chunk);
            written += chunk.Length;
            // The byte limit was just passed: stop the batch here and let go of the send lock, so the rekey (queued on
            // this lock) sends its KEXINIT before the rest; otherwise a whole client window could still go out under the
            // old keys.
            if (_rekeyRequested && written < data.Length) break;
        }
        return written;
    }

    private void WriteChannelData(uint recipient, uint extendedType, ReadOnlySpan<byte> data)
    {
        var headerSize = extendedType == 0 ? 9 : 13;
        var payloadLength = headerSize + data.Length;
        if (_deflater is not null)
        {
            // Compressed: build the payload aside, then deflate it into the packet.
            if (_scratch.Length < payloadLength) _scratch = new byte[payloadLength];
            WriteChannelDataHeader(_scratch, recipient, extendedType, headerSize, data);
            WritePacket(_scratch.AsSpan(0, payloadLength));
            return;
        }
        var payload = BeginPacket(payloadLength);
        WriteChannelDataHeader(payload, recipient, extendedType, headerSize, data);
        EndPacket(payloadLength);
    }

    private static void WriteChannelDataHeader(Span<byte> payload, uint recipient, uint extendedType, int headerSize, ReadOnlySpan<byte> data)
    {
        payload[0] = extendedType == 0 ? MessageNumbers.ChannelData : MessageNumbers.ChannelExtendedData;
        BinaryPrimitives.WriteUInt32BigEndian(payload[1..], recipient);
        if (extendedType != 0) BinaryPrimitives.WriteUInt32BigEndian(payload[5..], extendedType);
        BinaryPrimitives.WriteUInt32BigEndian(payload[(headerSize - 4)..], (uint)data.Length);
        data.CopyTo(payload[headerSize..]);
    }

    /// <summary>Marks the start of a key exchange (our KEXINIT is about to be sent): hold non-transport messages.</summary>
    public async ValueTask BeginKeyExchangeAsync(ReadOnlyMemory<byte> kexInitPayload, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_kexPending)
            {
                _kexPending = true;
                _kexDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            WritePacket(kexInitPayload.Span);
            await FlushSendAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends NEWKEYS with the old keys, switches to the new ones (resetting the sequence number in strict
    /// mode), sends EXT_INFO if given as the very next packet (RFC 8308 §2.4), then releases what was held.
    /// </summary>
    public async ValueTask SendNewKeysAsync(PacketProtection protection, bool resetSequence, ReadOnlyMemory<byte> extInfo, CancellationToken ct, string compression = "none")
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            WritePacket([MessageNumbers.NewKeys]);
            var old = _send;
            _send = protection;
            if (resetSequence) _sendSeq = 0;
            if (!ReferenceEquals(old, NoProtection.Instance)) old.Dispose();
            _sendCompression = compression;
            _deflater?.Dispose();
            _deflater = _authenticated && compression == DelayedZlib ? ZlibCompression.CreateDeflater() : null;
            if (!extInfo.IsEmpty) WritePacket(extInfo.Span);
            foreach (var held in _heldDuringKex) WritePacket(held);
            _heldDuringKex.Clear();
            Interlocked.Exchange(ref _bytesSinceKex, 0);
            _rekeyRequested = false;
            _kexPending = false;
            _kexDone.TrySetResult();
            await FlushSendAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // Packets are sealed one after another into _sendBuffer and go out in one write at the flush, so
    // what one handler sends is coalesced into one TCP send (docs/SSH-INTEROP.md §15). _sendOffset marks the end.
    private int _sendOffset;

    private void WritePacket(ReadOnlySpan<byte> payload)
    {
        if (_deflater is not null) payload = _deflater.Process(payload).Span;
        var span = BeginPacket(payload.Length);
        payload.CopyTo(span);
        EndPacket(payload.Length);
    }

    /// <summary>Reserves room for a payload after the 5-byte header and returns it for the caller to fill.</summary>
    private Span<byte> BeginPacket(int payloadLength)
    {
        var needed = _sendOffset + 5 + payloadLength + 32 + 64;
        if (_sendBuffer.Length < needed) Array.Resize(ref _sendBuffer, Math.Max(needed, _sendBuffer.Length * 2));
        return _sendBuffer.AsSpan(_sendOffset + 5, payloadLength);
    }

    private void EndPacket(int payloadLength)
    {
        var bs = _send.BlockSize;
        var unpadded = 1 + payloadLength + (_send.LengthIsAligned ? 4 : 0);
        var padding = bs - unpadded % bs;
        if (padding < 4) padding += bs;
        var length = 1 + payloadLength + padding;
        var buf = _sendBuffer.AsSpan(_sendOffset);
        BinaryPrimitives.WriteUInt32BigEndian(buf, (uint)length);
        buf[4] = (byte)padding;
        FillPadding(buf.Slice(5 + payloadLength, padding));
        var packet = buf[..(4 + length)];
        var tag = buf.Slice(4 + length, _send.TagSize);
        _send.Seal(packet, tag, _sendSeq);
        _sendSeq++;
        _sendOffset += 4 + length + _send.TagSize;
        Statistics?.OnSent(4 + length + _send.TagSize);
        // Checked where the bytes are counted, so a fast transfer cannot outrun a periodic check.
        if (Interlocked.Add(ref _bytesSinceKex, 4 + length + _send.TagSize) >= RekeyAfterBytes && !_kexPending && !_rekeyRequested && RekeyRequested is { } rekey)
        {
            _rekeyRequested = true;
            _ = Task.Run(rekey);
        }
    }

    private void FillPadding(Span<byte> padding)
    {
        _padding ??= new byte[1024];
        if (_paddingUsed == 0 || _paddingUsed + padding.Length > _padding.Length)
        {
            RandomNumberGenerator.Fill(_padding);
            _paddingUsed = 0;
        }
        _padding.AsSpan(_paddingUsed, padding.Length).CopyTo(padding);
        _paddingUsed += padding.Length;
    }

    /// <summary>
    /// <see cref="FlushSendAsync"/> on the calling thread, which may block. Over a socket, the bytes go out with
    /// non-blocking send(2) calls, and while the socket is full the thread sleeps in poll(2) until the kernel has room:
    /// the kernel wakes this thread itself. (An asynchronous write that finds the socket full parks on the socket
    /// engine; its completion runs on a thread-pool worker, which then wakes the writer: two more thread switches for
    /// every time the peer falls behind.) The poll wakes every <see cref="BlockedSendPoll"/> to see whether
    /// <paramref name="ct"/> was cancelled or the transport closed. Any other stream keeps the asynchronous write,
    /// waited for here. Either way the call returns only once every byte is with the kernel, so the send buffer is
    /// free to reuse.
    /// </summary>
    private void FlushSend(CancellationToken ct)
    {
        if (_socket is null)
        {
            var flushing = FlushSendAsync(ct);
            if (!flushing.IsCompletedSuccessfully) flushing.AsTask().GetAwaiter().GetResult();
            return;
        }
        try
        {
            // Only this path's calls see the flag; the stream's asynchronous reads and writes work as before.
            if (_socket.Blocking) _socket.Blocking = false;
            var sent = 0;
            while (sent < _sendOffset)
            {
                ct.ThrowIfCancellationRequested();
                if (_closed) throw new ObjectDisposedException(nameof(SshTransport));
                var n = _socket.Send(_sendBuffer, sent, _sendOffset - sent, System.Net.Sockets.SocketFlags.None, out var error);
                if (error == System.Net.Sockets.SocketError.Success)
                {
                    sent += n;
                    continue;
                }
                if (error != System.Net.Sockets.SocketError.WouldBlock)
                    throw new IOException("Unable to write data to the transport connection: " + error + ".", new System.Net.Sockets.SocketException((int)error));
                _socket.Poll(BlockedSendPoll, System.Net.Sockets.SelectMode.SelectWrite);
            }
        }
        finally
        {
            _sendOffset = 0;
        }
    }

    /// <summary>How long a blocked <see cref="FlushSend"/> sleeps before it looks at its token again.</summary>
    private static readonly TimeSpan BlockedSendPoll = TimeSpan.FromMilliseconds(100);

    private async ValueTask FlushSendAsync(CancellationToken ct)
    {
        if (_sendOffset == 0) return;
        try
        {
            await _stream.WriteAsync(_sendBuffer.AsMemory(0, _sendOffset), ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sendOffset = 0;
        }
    }

    /// <summary>Best-effort SSH_MSG_DISCONNECT, then no more sends.</summary>
    public async Task DisconnectAsync(SshDisconnectReason reason, string description)
    {
        if (!await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false)) return;
        try
        {
            if (_closed) return;
            _closed = true;
            var w = new Wire.SshWriter();
            w.WriteByte(MessageNumbers.Disconnect);
            w.WriteUInt32((uint)reason);
            w.WriteString(description);
            w.WriteString("");
            WritePacket(w.WrittenSpan);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await FlushSendAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer may already be gone; there is nobody left to tell.
        }
        finally
        {
            _kexDone.TrySetCanceled();
            _sendLock.Release();
        }
    }

    /// <summary>Sends raw text before any SSH framing exists (a refused identification line).</summary>
    public async Task SendRawAsync(string text)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(text), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed = true;
            _kexDone.TrySetCanceled();
            _send.Dispose();
            _recv.Dispose();
            _deflater?.Dispose();
            _inflater?.Dispose();
        }
        finally
        {
            _sendLock.Release();
        }
        await _input.CompleteAsync().ConfigureAwait(false);
    }

    private static TaskCompletionSource NewCompletedSource()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }
}
