using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Algorithms;

/// <summary>
/// aes{128,192,256}-ctr (RFC 4344) with an HMAC-SHA-2 MAC, in one of two layouts:
/// <list type="bullet">
/// <item>hmac-sha2-{256,512}-etm@openssh.com (OpenSSH PROTOCOL §1.5): the length travels in clear; the MAC covers
/// seq || length || ciphertext and is checked before decrypting.</item>
/// <item>hmac-sha2-{256,512} (RFC 6668, framing of RFC 4253 §6 and §6.4): the whole packet, length included, is
/// encrypted; the MAC covers seq || the plaintext packet, so the receiver decrypts first and checks after. The
/// length is read by decrypting the first four bytes with the current counter block's keystream, which CTR
/// allows without consuming the counter. Offered after the EtM MACs for clients that know no EtM MAC
/// (docs/SSH-INTEROP.md §17).</item>
/// </list>
/// The 128-bit counter runs on across packets for the whole key epoch.
/// </summary>
internal sealed class AesCtrProtection : PacketProtection
{
    private readonly Aes _aes;
    // One ECB transform for the whole epoch: Aes.EncryptEcb builds a native context per call (64 B each).
    private readonly ICryptoTransform _ecb;
    // The 128-bit counter as two big-endian halves: incremented as integers, not byte by byte.
    private ulong _counterHigh, _counterLow;
    private readonly IncrementalHash _mac;
    private readonly int _macSize;
    // Counter blocks and keystream for one packet, grown on demand and then reused.
    private byte[] _blocks = new byte[4096];
    private byte[] _stream = new byte[4096];
    private readonly byte[] _seq = new byte[4];
    private readonly byte[] _computed = new byte[64];
    private readonly byte[] _firstBlock = new byte[16];
    private readonly byte[] _firstStream = new byte[16];
    private readonly bool _encryptThenMac;

    public AesCtrProtection(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, string macAlgorithm, ReadOnlySpan<byte> macKey)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
        _counterHigh = BinaryPrimitives.ReadUInt64BigEndian(iv);
        _counterLow = BinaryPrimitives.ReadUInt64BigEndian(iv[8..]);
        (var hash, _macSize, _encryptThenMac) = macAlgorithm switch
        {
            SshAlgorithms.HmacSha256Etm => (HashAlgorithmName.SHA256, 32, true),
            SshAlgorithms.HmacSha512Etm => (HashAlgorithmName.SHA512, 64, true),
            SshAlgorithms.HmacSha256 => (HashAlgorithmName.SHA256, 32, false),
            SshAlgorithms.HmacSha512 => (HashAlgorithmName.SHA512, 64, false),
            _ => throw new ArgumentException($"MAC {macAlgorithm} is not supported", nameof(macAlgorithm)),
        };
        _mac = IncrementalHash.CreateHMAC(hash, macKey);
    }

    /// <summary>RFC 4253 §6.4 and RFC 6668: the MAC key is as long as the hash output.</summary>
    public static int MacKeySize(string macAlgorithm) => macAlgorithm is SshAlgorithms.HmacSha512Etm or SshAlgorithms.HmacSha512 ? 64 : 32;

    public override int BlockSize => 16;
    public override int TagSize => _macSize;

    /// <summary>Without EtM the length is encrypted too, so it counts towards the block alignment (RFC 4253 §6).</summary>
    public override bool LengthIsAligned => !_encryptThenMac;

    public override uint ReadLength(ReadOnlySpan<byte> first4, uint sequence)
    {
        if (_encryptThenMac) return BinaryPrimitives.ReadUInt32BigEndian(first4);
        // The keystream of the next counter block, computed without advancing the counter: this may be called
        // again for the same packet while its bytes are still arriving.
        BinaryPrimitives.WriteUInt64BigEndian(_firstBlock, _counterHigh);
        BinaryPrimitives.WriteUInt64BigEndian(_firstBlock.AsSpan(8), _counterLow);
        _ecb.TransformBlock(_firstBlock, 0, 16, _firstStream, 0);
        return BinaryPrimitives.ReadUInt32BigEndian(first4) ^ BinaryPrimitives.ReadUInt32BigEndian(_firstStream);
    }

    public override bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence)
    {
        if (!_encryptThenMac)
        {
            // RFC 4253 §6.4: mac = MAC(key, sequence_number || unencrypted_packet).
            Xcrypt(packet);
            ComputeMac(packet, sequence);
            return CryptographicOperations.FixedTimeEquals(_computed.AsSpan(0, _macSize), tag);
        }
        ComputeMac(packet, sequence);
        if (!CryptographicOperations.FixedTimeEquals(_computed.AsSpan(0, _macSize), tag)) return false;
        Xcrypt(packet[4..]);
        return true;
    }

    public override void Seal(Span<byte> packet, Span<byte> tag, uint sequence)
    {
        if (!_encryptThenMac)
        {
            ComputeMac(packet, sequence);
            _computed.AsSpan(0, _macSize).CopyTo(tag);
            Xcrypt(packet);
            return;
        }
        Xcrypt(packet[4..]);
        ComputeMac(packet, sequence);
        _computed.AsSpan(0, _macSize).CopyTo(tag);
    }

    private void ComputeMac(ReadOnlySpan<byte> packet, uint sequence)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_seq, sequence);
        _mac.AppendData(_seq);
        _mac.AppendData(packet);
        _mac.GetHashAndReset(_computed);
    }

    // One ECB call over all counter blocks of the packet, then one vectorised XOR;
    // a block-at-a-time transform is several times slower.
    private void Xcrypt(Span<byte> data)
    {
        if (data.Length % 16 != 0) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "packet not a multiple of the cipher block size");
        if (_blocks.Length < data.Length)
        {
            _blocks = new byte[data.Length];
            _stream = new byte[data.Length];
        }
        var blocks = _blocks.AsSpan(0, data.Length);
        for (var i = 0; i < data.Length; i += 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(blocks[i..], _counterHigh);
            BinaryPrimitives.WriteUInt64BigEndian(blocks[(i + 8)..], _counterLow);
            if (++_counterLow == 0) _counterHigh++;
        }
        _ecb.TransformBlock(_blocks, 0, data.Length, _stream, 0);
        XorInPlace(data, _stream.AsSpan(0, data.Length));
    }

    private static void XorInPlace(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var dv = MemoryMarshal.Cast<byte, Vector<byte>>(data);
            var kv = MemoryMarshal.Cast<byte, Vector<byte>>(keystream);
            for (var v = 0; v < dv.Length; v++) dv[v] ^= kv[v];
            i = dv.Length * Vector<byte>.Count;
        }
        for (; i < data.Length; i++) data[i] ^= keystream[i];
    }

    public override void Dispose()
    {
        _ecb.Dispose();
        _aes.Dispose();
        _mac.Dispose();
    }
}
