using System.Security.Cryptography;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Transport;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// The server side of key exchange for one connection, initial and later (rekey): KEXINIT ordering,
/// negotiation, the curve25519 reply, NEWKEYS in both directions, strict KEX (docs/SSH-INTEROP.md §6) and ext-info
/// (§7). Driven by the connection's read loop; independent of which algorithm is chosen.
/// </summary>
internal sealed class ServerKeyExchange(SshTransport transport, SshServerOptions options, string clientVersion, string serverVersion, SshServerStatistics? statistics = null)
{
    private readonly SemaphoreSlim _kexInitLock = new(1, 1);
    private readonly IReadOnlyList<string> _kexNames = options.KeyExchangeAlgorithms ?? SshAlgorithms.DefaultKex;
    private readonly IReadOnlyList<string> _ciphers = options.Ciphers ?? SshAlgorithms.DefaultCiphers;
    private readonly IReadOnlyList<string> _macs = options.Macs ?? SshAlgorithms.DefaultMacs;
    private readonly IReadOnlyList<string> _compression = options.Compression ?? SshAlgorithms.DefaultCompression;

    private KexInit? _serverInit;     // our KEXINIT of the current round, once sent
    private KexInit? _clientInit;     // the client's KEXINIT of the current round
    private KexAlgorithms? _agreed;
    private PacketProtection? _pendingReceive;
    private bool _ignoreNextPacket;
    private bool _newKeysSent;
    private volatile bool _clientKexInitSeen;

    public byte[]? SessionId { get; private set; }

    /// <summary>The host key algorithm the last key exchange signed with (<c>ssh-ed25519</c>, <c>rsa-sha2-512</c>, ...); null before one.</summary>
    public string? HostKeyAlgorithm => _agreed?.HostKey;
    /// <summary>Strict KEX is on: both markers were in the initial KEXINITs (fixed for the connection).</summary>
    public bool Strict { get; private set; }
    /// <summary>The client asked for EXT_INFO in its first KEXINIT.</summary>
    public bool ClientWantsExtInfo { get; private set; }
    /// <summary>The first key exchange has completed in both directions.</summary>
    public bool InitialDone { get; private set; }
    public bool InProgress => _clientInit is not null || _serverInit is not null;

    /// <summary>
    /// Sends our KEXINIT for this round unless already sent. The initial one always announces
    /// kex-strict-s-v00@openssh.com, as OpenSSH does, so scanners see the Terrapin counter-measure (CVE-2023-48795);
    /// strict mode itself starts only when the client announced its marker too (OpenSSH PROTOCOL §1.10, docs/SSH-INTEROP.md §6).
    /// Later ones (rekeys) carry no marker: markers count only in the first KEXINIT.
    /// </summary>
    public async Task EnsureKexInitSentAsync(CancellationToken ct, bool onlyIfClientSilent = false)
    {
        await _kexInitLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_serverInit is not null) return;
            // Decided under the lock, so the check cannot race a whole exchange finishing in between.
            if (onlyIfClientSilent && (_clientKexInitSeen || InitialDone)) return;
            var kex = _kexNames.ToList();
            if (!InitialDone) kex.Add(SshAlgorithms.StrictKexServer);
            var init = new KexInit
            {
                Kex = [.. kex],
                HostKey = [.. options.HostKeys.SelectMany(k => k.Algorithms).Distinct()],
                CiphersClientToServer = [.. _ciphers],
                CiphersServerToClient = [.. _ciphers],
                MacsClientToServer = [.. _macs],
                MacsServerToClient = [.. _macs],
                CompressionClientToServer = [.. _compression],
                CompressionServerToClient = [.. _compression],
            };
            var payload = init.Write();
            _serverInit = init;
            await transport.BeginKeyExchangeAsync(payload, ct).ConfigureAwait(false);
        }
        finally
        {
            _kexInitLock.Release();
        }
    }

    /// <summary>
    /// The 1 s fallback for the initial KEXINIT: sends ours only if the client's
    /// first KEXINIT has still not arrived. Once it has (or once the first exchange is over) this does
    /// nothing; a late timer must never start a second exchange in the middle of login.
    /// </summary>
    public Task SendInitialKexInitIfClientIsSilentAsync(CancellationToken ct) =>
        EnsureKexInitSentAsync(ct, onlyIfClientSilent: true);

    /// <summary>
    /// Starts a server-initiated key exchange (rekey) when none is running. Returns false when one already is,
    /// or the first one has not finished.
    /// </summary>
    public async Task<bool> TryStartRekeyAsync(CancellationToken ct)
    {
        await _kexInitLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!InitialDone) return false;
            if (_serverInit is not null || _clientInit is not null)
            {
                // A round is still finishing (our NEWKEYS is out, the client's is not in yet): start the
                // next one as soon as it completes, rather than losing the request.
                _rekeyAfterThisRound = true;
                return false;
            }
        }
        finally
        {
            _kexInitLock.Release();
        }
        await EnsureKexInitSentAsync(ct).ConfigureAwait(false);
        return true;
    }

    private bool _rekeyAfterThisRound;

    /// <summary>Stopwatch timestamp of the last completed key exchange, for the time-based rekey.</summary>
    public long LastCompletedTimestamp { get; private set; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>
    /// Offers a message to the key exchange. Returns true when it was a key exchange message (handled) or a
    /// guessed packet to discard; false when it belongs to a higher layer.
    /// </summary>
    public async Task<bool> HandleAsync(byte number, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_ignoreNextPacket)
        {
            // A wrong first_kex_packet_follows guess: drop it, whatever it is (RFC 4253 §7.1).
            _ignoreNextPacket = false;
            return true;
        }
        switch (number)
        {
            case MessageNumbers.KexInit:
                await OnKexInitAsync(payload, ct).ConfigureAwait(false);
                return true;
            case MessageNumbers.KexEcdhInit:
                await OnEcdhInitAsync(payload, ct).ConfigureAwait(false);
                return true;
            case MessageNumbers.NewKeys:
                OnNewKeys(ct);
                return true;
        }
        if (!InitialDone)
        {
            // Strict KEX: nothing but key exchange messages before the first NEWKEYS, not even IGNORE.
            if (Strict || number is not (MessageNumbers.Ignore or MessageNumbers.Debug or MessageNumbers.Unimplemented or MessageNumbers.Disconnect))
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"unexpected message {number} during initial key exchange");
        }
        else if (_clientInit is not null && number is >= 30 and <= 49)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"unexpected key exchange message {number}");
        }
        return false;
    }

    private async Task OnKexInitAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_clientInit is not null) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "second KEXINIT during key exchange");
        var client = KexInit.Read(payload.Span);
        _clientKexInitSeen = true;
        if (!InitialDone)
        {
            // Markers count only in the first KEXINIT (PROTOCOL §1.10, RFC 8308 §2.1).
            var clientStrict = client.Kex.Contains(SshAlgorithms.StrictKexClient);
            if (clientStrict && transport.PacketsReceived != 1)
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "strict KEX: KEXINIT was not the first packet");
            ClientWantsExtInfo = client.Kex.Contains(SshAlgorithms.ExtInfoClient);
            await EnsureKexInitSentAsync(ct).ConfigureAwait(false);
            Strict = clientStrict && _serverInit!.Kex.Contains(SshAlgorithms.StrictKexServer);
        }
        else
        {
            await EnsureKexInitSentAsync(ct).ConfigureAwait(false);
        }
        _clientInit = client;
        _agreed = KexAlgorithms.Negotiate(client, _serverInit!);
        if (client.FirstKexPacketFollows && KexAlgorithms.GuessWasWrong(client, _serverInit!)) _ignoreNextPacket = true;
    }

    private async Task OnEcdhInitAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_agreed is null || _serverInit is null || _clientInit is null || _newKeysSent)
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "KEX_ECDH_INIT out of order");
        var method = KexMethod.Create(_agreed.Kex);
        var hostKey = options.HostKeys.First(k => k.Algorithms.Contains(_agreed.HostKey));
        var answer = method.Respond(payload.Span[1..]);
        var encodedK = answer.EncodedSecret;
        var hash = method.Hash;

        var hw = new SshWriter(1024);
        hw.WriteString(clientVersion);
        hw.WriteString(serverVersion);
        hw.WriteBinary(_clientInit.Payload);
        hw.WriteBinary(_serverInit.Payload);
        hw.WriteBinary(hostKey.PublicKey.Blob);
        hw.WriteRaw(answer.EncodedClientValue);
        hw.WriteRaw(answer.EncodedServerValue);
        hw.WriteRaw(encodedK);
        var h = HashData(hash, hw.WrittenSpan);
        SessionId ??= h; // the first exchange hash names the session forever (RFC 4253 §7.2)

        var reply = new SshWriter(256);
        reply.WriteByte(MessageNumbers.KexEcdhReply);
        reply.WriteBinary(hostKey.PublicKey.Blob);
        reply.WriteRaw(answer.EncodedServerValue);
        reply.WriteBinary(hostKey.Sign(_agreed.HostKey, h));
        await transport.SendAsync(reply.WrittenMemory, ct).ConfigureAwait(false);

        var send = KeyDerivation.CreateProtection(_agreed.CipherServerToClient, _agreed.MacServerToClient, hash, encodedK, h, SessionId, clientToServer: false);
        _pendingReceive = KeyDerivation.CreateProtection(_agreed.CipherClientToServer, _agreed.MacClientToServer, hash, encodedK, h, SessionId, clientToServer: true);
        CryptographicOperations.ZeroMemory(encodedK);

        ReadOnlyMemory<byte> extInfo = default;
        if (!InitialDone && ClientWantsExtInfo) extInfo = BuildExtInfo();
        _newKeysSent = true;
        await transport.SendNewKeysAsync(send, Strict, extInfo, ct, _agreed.CompressionServerToClient).ConfigureAwait(false);
    }

    private async Task RekeyLaterAsync(CancellationToken ct)
    {
        try { await EnsureKexInitSentAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SshProtocolException) { }
    }

    private void OnNewKeys(CancellationToken ct)
    {
        bool again;
        if (_pendingReceive is null) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "NEWKEYS before key exchange reply");
        transport.SwitchReceiveKeys(_pendingReceive, Strict, _agreed!.CompressionClientToServer);
        // Under the KEXINIT lock so a concurrent rekey decision sees the round either running or finished.
        _kexInitLock.Wait();
        try
        {
            _pendingReceive = null;
            _clientInit = null;
            _serverInit = null;
            _agreed = null;
            _newKeysSent = false;
            InitialDone = true;
            LastCompletedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            statistics?.OnKeyExchange();
            again = _rekeyAfterThisRound;
            _rekeyAfterThisRound = false;
        }
        finally
        {
            _kexInitLock.Release();
        }
        // Not awaited: the read loop must go on (the send may wait for window the client grants through it). It ends
        // with the connection: the token is the connection's, cancelled at teardown.
        if (again) _ = RekeyLaterAsync(ct);
    }

    private static byte[] BuildExtInfo()
    {
        var w = new SshWriter(256);
        w.WriteByte(MessageNumbers.ExtInfo);
        w.WriteUInt32(1);
        w.WriteString("server-sig-algs");
        w.WriteString(string.Join(',', Authentication.SignatureVerifier.AcceptedAlgorithms));
        return w.ToArray();
    }

    private static byte[] HashData(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data) : SHA256.HashData(data);
}
