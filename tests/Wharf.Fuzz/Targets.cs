using System.Buffers.Binary;
using System.Net;
using System.Reflection;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Ssh;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Connection;
using Wharf.Ssh.KeyExchange;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Transport;

namespace Wharf.Fuzz;

/// <summary>
/// The fuzz targets: each takes one input and either returns (accepted, or refused with the parser's own
/// exception) or throws, which AFL++ records as a crash. A target that allocates more than
/// <see cref="MaxAllocation"/> for one input throws too, so an allocation a hostile client can inflate is a finding.
/// </summary>
internal static class Targets
{
    /// <summary>
    /// Per input: the largest packet the server accepts is 256 KiB and inflates to at most 256 KiB more, so an
    /// honest parse stays far below this; a parser that allocates from a length field it did not check does not.
    /// </summary>
    public const long MaxAllocation = 16 * 1024 * 1024;

    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        // The encrypted packet decoder, one target per cipher (and MAC for AES-CTR; the key size comes from the input).
        ["packet-chacha20-poly1305"] = input => Packets.Run(input, SshAlgorithms.ChaCha20Poly1305, null),
        ["packet-aes128-gcm"] = input => Packets.Run(input, SshAlgorithms.Aes128Gcm, null),
        ["packet-aes256-gcm"] = input => Packets.Run(input, SshAlgorithms.Aes256Gcm, null),
        ["packet-aes-ctr-hmac-sha2-256-etm"] = input => Packets.Run(input, null, SshAlgorithms.HmacSha256Etm),
        ["packet-aes-ctr-hmac-sha2-512-etm"] = input => Packets.Run(input, null, SshAlgorithms.HmacSha512Etm),
        ["packet-aes-ctr-hmac-sha2-256"] = input => Packets.Run(input, null, SshAlgorithms.HmacSha256),
        ["packet-aes-ctr-hmac-sha2-512"] = input => Packets.Run(input, null, SshAlgorithms.HmacSha512),
        // Key exchange: the client's KEXINIT with negotiation against the server's offer, and message 30 of every method.
        ["kexinit"] = KexInitTarget,
        ["kex-curve25519"] = input => Kex(input, SshAlgorithms.Curve25519Sha256),
        ["kex-mlkem768x25519"] = input => Kex(input, SshAlgorithms.MlKem768X25519Sha256),
        ["kex-sntrup761x25519"] = input => Kex(input, SshAlgorithms.Sntrup761X25519Sha512),
        // The DH group is picked by the first byte so one target covers 14, 16 and 18.
        ["kex-dh"] = input => Kex(input.Length == 0 ? input : input[1..],
            (input.Length == 0 ? 0 : input[0] % 3) switch { 0 => SshAlgorithms.DhGroup14Sha256, 1 => SshAlgorithms.DhGroup16Sha512, _ => SshAlgorithms.DhGroup18Sha512 }),
        ["userauth"] = Messages.UserAuth,
        ["connection"] = Messages.Connection,
        ["key-blob"] = KeyBlob,
        ["key-text"] = KeyText,
        ["certificate"] = Certificate,
        ["sshsig"] = SshSig,
        ["command"] = Command,
        ["proxy"] = Proxy,
    };

    public static Action<byte[]> Get(string name) =>
        All.TryGetValue(name, out var target) ? Bounded(target) : throw new ArgumentException($"no fuzz target '{name}'; targets: {string.Join(", ", All.Keys)}");

    /// <summary>Runs the target and fails the input when it allocated more than the bound.</summary>
    private static Action<byte[]> Bounded(Action<byte[]> target) => input =>
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        target(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > MaxAllocation)
            throw new InvalidOperationException($"{allocated} bytes allocated for a {input.Length}-byte input (bound {MaxAllocation})");
    };

    private static void KexInitTarget(byte[] input)
    {
        try
        {
            var client = KexInit.Read(input);
            KexAlgorithms.Negotiate(client, ServerOffer.KexInit);
        }
        catch (SshProtocolException) { }
    }

    /// <summary>Message 30 as the client sends it (message number first), answered by the method.</summary>
    private static void Kex(byte[] payload, string method)
    {
        try
        {
            if (payload.Length == 0 || payload[0] != MessageNumbers.KexEcdhInit)
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "not a key exchange init");
            KexMethod.Create(method).Respond(payload.AsSpan(1));
        }
        catch (SshProtocolException) { }
    }

    private static void KeyBlob(byte[] input)
    {
        try
        {
            var key = SshPublicKey.FromBlob(input);
            _ = key.FingerprintSha256;
            _ = key.ToOpenSshLine();
        }
        catch (SshKeyFormatException) { }
    }

    private static void KeyText(byte[] input)
    {
        try
        {
            var parsed = PublicKeyText.Parse(Encoding.UTF8.GetString(input));
            _ = parsed.Key.FingerprintSha256;
        }
        catch (SshKeyFormatException) { }
    }

    /// <summary>A certificate blob, or (input starting with a letter) an OpenSSH certificate line; then its CA signature.</summary>
    private static void Certificate(byte[] input)
    {
        try
        {
            var certificate = input.Length > 0 && char.IsAsciiLetter((char)input[0])
                ? SshCertificate.ParseOpenSsh(Encoding.UTF8.GetString(input))
                : SshCertificate.Parse(input);
            certificate.VerifySignature();
            _ = certificate.IsValidAt(DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(5));
            _ = certificate.ToString();
        }
        catch (SshKeyFormatException) { }
    }

    /// <summary>An armored SSHSIG (input starting with '-') or a binary one; then verification of a fixed message.</summary>
    private static void SshSig(byte[] input)
    {
        try
        {
            var signature = input.Length > 0 && input[0] == (byte)'-'
                ? SshSignature.ParseArmored(Encoding.UTF8.GetString(input))
                : SshSignature.FromBlob(input);
            signature.Verify("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"u8, "git");
        }
        catch (SshSignatureFormatException) { }
    }

    /// <summary>The SSH exec command line: the git/hg/git-lfs command parser and the account commands.</summary>
    private static void Command(byte[] input)
    {
        var line = Encoding.UTF8.GetString(input);
        AccountCommand.TryParse(line);
        try
        {
            var command = RepositoryCommand.Parse(line, "ssh git@localhost help");
            _ = command.RequiredAccess;
            _ = command.Repository.ToString();
        }
        catch (WharfException e) when (e.Category == ErrorCategory.InvalidArgument) { }
    }

    private static void Proxy(byte[] input)
    {
        try
        {
            using var stream = new MemoryStream(input, writable: false);
            ProxyProtocol.ReadAsync(stream, default).GetAwaiter().GetResult();
        }
        catch (ProxyProtocolException) { }
        catch (EndOfStreamException) { }
    }
}

/// <summary>
/// Kept out of <see cref="Targets"/>: instrumented code (Wharf.Ssh, Wharf.Core) must not run before SharpFuzz has set up
/// the coverage map, so nothing of theirs may run in a static initialiser reached before the fuzzing loop starts.
/// </summary>
internal static class ServerOffer
{
    /// <summary>The server's own offer, as <c>wharf serve</c> sends it by default.</summary>
    public static readonly KexInit KexInit = new()
    {
        Kex = [.. SshAlgorithms.DefaultKex, "ext-info-s", SshAlgorithms.StrictKexServer],
        HostKey = ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"],
        CiphersClientToServer = [.. SshAlgorithms.DefaultCiphers], CiphersServerToClient = [.. SshAlgorithms.DefaultCiphers],
        MacsClientToServer = [.. SshAlgorithms.DefaultMacs], MacsServerToClient = [.. SshAlgorithms.DefaultMacs],
        CompressionClientToServer = [.. SshAlgorithms.DefaultCompression], CompressionServerToClient = [.. SshAlgorithms.DefaultCompression],
    };

}

/// <summary>A stream that reads the fuzz input synchronously (no thread hop) and discards what the server writes.</summary>
internal sealed class InputStream(byte[] input) : Stream
{
    private int _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, input.Length - _position);
        input.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    public override void Write(byte[] buffer, int offset, int count) { }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// The encrypted packet decoder (SshTransport's read path after NEWKEYS) with fixed keys. Input layout:
/// <list type="bullet">
/// <item>byte 0, bit 0: 0 = the rest is raw bytes off the wire (ciphertext, tags, lengths as they come); 1 = the rest is
/// plaintext packets that the harness seals with the same keys, so decryption succeeds and the decoder's own checks
/// after it (padding length, zlib inflation, empty payloads) see the fuzzed bytes.</item>
/// <item>bit 1: delayed zlib compression switched on (as after a login with <c>zlib@openssh.com</c>).</item>
/// <item>bits 2-3: AES-CTR key size (128, 192, 256).</item>
/// <item>sealed mode, then per packet: byte <c>padding</c> (the padding-length byte written; 0 means the correct one),
/// uint16 payload length, payload. With compression on, payloads are deflated first unless the padding byte is odd.</item>
/// </list>
/// Every payload the decoder returns goes on to the message parsers of the server (<see cref="Messages.Dispatch"/>).
/// </summary>
internal static class Packets
{
    private static readonly byte[] Key64 = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];
    private static readonly byte[] Iv16 = [.. Enumerable.Range(101, 16).Select(i => (byte)i)];
    private static readonly byte[] MacKey64 = [.. Enumerable.Range(201, 64).Select(i => (byte)i)];

    private static PacketProtection Create(string? cipher, string? mac, int flags)
    {
        cipher ??= ((flags >> 2) % 3) switch { 0 => SshAlgorithms.Aes128Ctr, 1 => SshAlgorithms.Aes192Ctr, _ => SshAlgorithms.Aes256Ctr };
        return cipher switch
        {
            SshAlgorithms.ChaCha20Poly1305 => new ChaCha20Poly1305Protection(Key64),
            SshAlgorithms.Aes128Gcm => new AesGcmProtection(Key64.AsSpan(0, 16), Iv16.AsSpan(0, 12)),
            SshAlgorithms.Aes256Gcm => new AesGcmProtection(Key64.AsSpan(0, 32), Iv16.AsSpan(0, 12)),
            _ => new AesCtrProtection(Key64.AsSpan(0, cipher == SshAlgorithms.Aes128Ctr ? 16 : cipher == SshAlgorithms.Aes192Ctr ? 24 : 32),
                Iv16, mac!, MacKey64.AsSpan(0, AesCtrProtection.MacKeySize(mac!))),
        };
    }

    public static void Run(byte[] input, string? cipher, string? mac)
    {
        if (input.Length == 0) return;
        var flags = input[0];
        var compress = (flags & 2) != 0;
        var wire = (flags & 1) == 0 ? input[1..] : Seal(input.AsSpan(1), Create(cipher, mac, flags), compress);
        var transport = new SshTransport(new InputStream(wire), 256 * 1024);
        transport.SwitchReceiveKeys(Create(cipher, mac, flags), resetSequence: true, compress ? SshTransport.DelayedZlib : "none");
        try
        {
            // Turns the inflater on exactly as a login does; the success message goes to the discarding stream.
            if (compress) transport.SendAuthenticationSuccessAsync(default).AsTask().GetAwaiter().GetResult();
            var count = 0;
            while (transport.ReadPacketAsync(default).AsTask().GetAwaiter().GetResult() is { } payload)
            {
                // The first few payloads only: the parsers have their own targets, and this keeps one input cheap.
                if (count++ < 4) Messages.Dispatch(payload.ToArray());
            }
        }
        catch (SshProtocolException) { }
    }

    private static byte[] Seal(ReadOnlySpan<byte> packets, PacketProtection protection, bool compress)
    {
        using var _ = protection;
        using var deflater = compress ? ZlibCompression.CreateDeflater() : null;
        var output = new MemoryStream();
        uint sequence = 0;
        var block = protection.BlockSize;
        while (packets.Length >= 3)
        {
            var paddingByte = packets[0];
            var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(packets[1..]), packets.Length - 3);
            ReadOnlySpan<byte> payload = packets.Slice(3, length);
            packets = packets[(3 + length)..];
            if (deflater is not null && paddingByte % 2 == 0) payload = deflater.Process(payload).ToArray();
            // RFC 4253 §6: at least 4 bytes of padding, the whole aligned to the block size (without the length field
            // for EtM and AEAD modes).
            var unpadded = 1 + payload.Length + (protection.LengthIsAligned ? 4 : 0);
            var padding = block - unpadded % block;
            if (padding < 4) padding += block;
            var packetLength = 1 + payload.Length + padding;
            var packet = new byte[4 + packetLength + protection.TagSize];
            BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)packetLength);
            packet[4] = paddingByte == 0 ? (byte)padding : paddingByte;
            payload.CopyTo(packet.AsSpan(5));
            protection.Seal(packet.AsSpan(0, 4 + packetLength), packet.AsSpan(4 + packetLength), sequence++);
            output.Write(packet);
        }
        return output.ToArray();
    }
}

/// <summary>The server's message handlers after the transport: user authentication and the connection protocol.</summary>
internal static class Messages
{
    private static readonly SshHostKey HostKey = SshHostKey.GenerateEd25519("fuzz host key");

    private static SshServerOptions Options()
    {
        var options = new SshServerOptions { MaxAuthTries = 100, MaxAuthRequests = 1000 };
        options.HostKeys.Add(HostKey);
        return options;
    }

    /// <summary>Knows every key, so the signature check is what decides; the session ends at once.</summary>
    private sealed class AnyKey : ISshServerHandler
    {
        public ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult<SshPrincipal?>(new SshPrincipal(request.UserName));
        public Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    private static readonly ISshServerHandler Handler = new AnyKey();
    private static readonly byte[] SessionId = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];

    /// <summary>Hands one decrypted payload to the parser of its message number (the packet targets end here).</summary>
    public static void Dispatch(byte[] payload)
    {
        switch (payload[0])
        {
            case MessageNumbers.KexInit:
                try { KexAlgorithms.Negotiate(KexInit.Read(payload), ServerOffer.KexInit); }
                catch (SshProtocolException) { }
                break;
            case MessageNumbers.ServiceRequest or MessageNumbers.UserAuthRequest:
                UserAuthOne(payload);
                break;
            case >= MessageNumbers.GlobalRequest:
                Connection(Frame(payload));
                break;
        }
    }

    private static byte[] Frame(byte[] payload)
    {
        var framed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)payload.Length);
        payload.CopyTo(framed, 4);
        return framed;
    }

    /// <summary>Splits the input into messages: uint32 length, payload; a short tail is the last message.</summary>
    private static List<byte[]> Split(byte[] input)
    {
        var messages = new List<byte[]>();
        var rest = input.AsSpan();
        while (rest.Length > 0 && messages.Count < 64)
        {
            if (rest.Length < 4) { messages.Add(rest.ToArray()); break; }
            var length = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(rest), (uint)(rest.Length - 4));
            if (length > 0) messages.Add(rest.Slice(4, length).ToArray());
            rest = rest[(4 + length)..];
        }
        return messages;
    }

    /// <summary>
    /// One ssh-userauth service (after the client's SERVICE_REQUEST) fed the input's messages in turn (same framing
    /// as <see cref="Connection"/>). The handler knows every key, so only a valid signature over the session
    /// identifier could log in: a login here is a finding.
    /// </summary>
    public static void UserAuth(byte[] input)
    {
        var transport = new SshTransport(new InputStream([]), 256 * 1024);
        var auth = new UserAuthService(transport, Options(), Handler, null);
        try
        {
            foreach (var message in Split(input))
                auth.HandleAsync(message[0], message, SessionId, default).GetAwaiter().GetResult();
        }
        catch (SshProtocolException) { }
        if (auth.Principal is not null) throw new InvalidOperationException("logged in without a valid signature");
    }

    private static void UserAuthOne(byte[] payload) => UserAuth(Frame(payload));

    private static readonly MethodInfo HandleConnectionMessage = typeof(SshServerConnection)
        .GetMethod("HandleConnectionMessageAsync", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingMethodException(nameof(SshServerConnection), "HandleConnectionMessageAsync");
    private static readonly PropertyInfo AuthPrincipal = typeof(UserAuthService).GetProperty(nameof(UserAuthService.Principal))!;
    private static readonly PropertyInfo AuthUser = typeof(UserAuthService).GetProperty(nameof(UserAuthService.UserName))!;
    private static readonly PropertyInfo KexSessionId = typeof(ServerKeyExchange).GetProperty(nameof(ServerKeyExchange.SessionId))!;

    private static readonly FieldInfo Background = typeof(SshServerConnection).GetField("_background", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(SshServerConnection), "_background");

    /// <summary>
    /// Lets the sessions an exec or shell request started (on the thread pool) finish before the next message is
    /// handled: the coverage of one input then does not depend on how threads interleave, so AFL++ sees the same
    /// edges for the same input. A session still running after a second (waiting for window credit, say) is left.
    /// </summary>
    private static void WaitForSessions(SshServerConnection connection)
    {
        var tasks = (List<Task>)Background.GetValue(connection)!;
        Task[] running;
        lock (tasks) running = [.. tasks];
        if (running.Length > 0) Task.WaitAll(running, TimeSpan.FromSeconds(1));
    }

    private delegate Task<bool> ConnectionHandler(SshTransport transport, UserAuthService auth, ServerKeyExchange kex, byte number,
        ReadOnlyMemory<byte> payload, CancellationToken ct);

    /// <summary>
    /// Global requests, channel opens, channel requests (exec, env, pty-req, ...), window adjusts, data, EOF and close,
    /// handled by a logged-in connection's message loop (SshServerConnection) exactly as after authentication. Input:
    /// a sequence of messages, each uint32 length and payload (message number first).
    /// </summary>
    public static void Connection(byte[] input)
    {
        var options = Options();
        var stream = new InputStream([]);
        var connection = new SshServerConnection(stream, new IPEndPoint(IPAddress.Loopback, 2222), options, Handler, NullSshServerLog.Instance);
        var handle = HandleConnectionMessage.CreateDelegate<ConnectionHandler>(connection);
        var transport = new SshTransport(stream, 256 * 1024);
        var auth = new UserAuthService(transport, options, Handler, null);
        AuthPrincipal.SetValue(auth, new SshPrincipal("fuzz"));
        AuthUser.SetValue(auth, "git");
        var kex = new ServerKeyExchange(transport, options, "SSH-2.0-OpenSSH_9.2p1", "SSH-2.0-Wharf_0.1", null);
        KexSessionId.SetValue(kex, SessionId);
        try
        {
            foreach (var message in Split(input))
            {
                handle(transport, auth, kex, message[0], message, default).GetAwaiter().GetResult();
                WaitForSessions(connection);
            }
        }
        catch (SshProtocolException) { }
        finally
        {
            connection.Close("fuzz input done");
            WaitForSessions(connection);
        }
    }
}
