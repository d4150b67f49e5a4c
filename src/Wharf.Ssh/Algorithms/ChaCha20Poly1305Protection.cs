using System.Buffers.Binary;
using System.Security.Cryptography;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Algorithms;

/// <summary>
/// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305; docs/SSH-INTEROP.md §5). Not RFC 8439's AEAD:
/// the 64-byte key splits into K_2 = first 32 bytes (payload and Poly1305 key) and K_1 = last 32 bytes
/// (length), the nonce is the sequence number, and the tag covers encrypted length || ciphertext.
/// </summary>
internal sealed class ChaCha20Poly1305Protection : PacketProtection
{
    public const int KeySize = 64;

    private readonly byte[] _mainKey = new byte[32];
    private readonly byte[] _lengthKey = new byte[32];
    // Scratch reused for every packet (no per-packet allocation).
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _polyKey = new byte[32];
    // The payload's keystream for sending, from the BCL's RFC 8439 AEAD (OpenSSL's ChaCha20, which is several times
    // faster than libsodium's on a CPU with AVX-512): its encryption is ChaCha20 from block 1 under this nonce, the
    // same bytes as OpenSSH's. Its own tag covers other bytes (padded AAD and lengths) and is thrown away into
    // _unusedTag; the tag sent is OpenSSH's, computed below. Null where the platform has no ChaCha20Poly1305.
    private readonly ChaCha20Poly1305? _sendCipher;
    private readonly byte[] _unusedTag = new byte[16];

    public ChaCha20Poly1305Protection(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize) throw new ArgumentException("chacha20-poly1305 needs 64 bytes of key", nameof(key));
        key[..32].CopyTo(_mainKey);
        key[32..].CopyTo(_lengthKey);
        if (ChaCha20Poly1305.IsSupported) _sendCipher = new ChaCha20Poly1305(_mainKey);
    }

    public override int BlockSize => 8;
    public override int TagSize => 16;

    public override uint ReadLength(ReadOnlySpan<byte> first4, uint sequence)
    {
        SetNonce(sequence);
        Span<byte> plain = stackalloc byte[4];
        Geralt.ChaCha20.Decrypt(plain, first4[..4], _nonce, _lengthKey, 0);
        return BinaryPrimitives.ReadUInt32BigEndian(plain);
    }

    public override bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence)
    {
        SetNonce(sequence);
        DerivePolyKey();
        // Verify before decrypting (PROTOCOL.chacha20poly1305); Geralt compares in constant time.
        if (!Geralt.Poly1305.VerifyTag(tag, packet, _polyKey)) return false;
        var body = packet[4..];
        Geralt.ChaCha20.Decrypt(body, body, _nonce, _mainKey, 1);
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)body.Length);
        return true;
    }

    public override void Seal(Span<byte> packet, Span<byte> tag, uint sequence)
    {
        SetNonce(sequence);
        DerivePolyKey();
        Geralt.ChaCha20.Encrypt(packet[..4], packet[..4], _nonce, _lengthKey, 0);
        var body = packet[4..];
        if (_sendCipher is not null) _sendCipher.Encrypt(_nonce, body, body, _unusedTag);
        else Geralt.ChaCha20.Encrypt(body, body, _nonce, _mainKey, 1);
        Geralt.Poly1305.ComputeTag(tag, packet, _polyKey);
    }

    // IETF ChaCha20 with nonce 0000 || seq_be64 equals DJB ChaCha20 with the 64-bit sequence nonce,
    // because SSH packets never reach block counter 2^32 (docs/SSH-INTEROP.md §5).
    private void SetNonce(uint sequence)
    {
        _nonce.AsSpan(0, 4).Clear();
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), sequence);
    }

    private void DerivePolyKey()
    {
        _polyKey.AsSpan().Clear();
        Geralt.ChaCha20.Encrypt(_polyKey, _polyKey, _nonce, _mainKey, 0);
    }

    public override void Dispose()
    {
        _sendCipher?.Dispose();
        CryptographicOperations.ZeroMemory(_mainKey);
        CryptographicOperations.ZeroMemory(_lengthKey);
        CryptographicOperations.ZeroMemory(_polyKey);
    }
}
