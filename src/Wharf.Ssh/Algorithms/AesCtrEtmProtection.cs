using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Algorithms;

/// <summary>
/// aes{128,192,256}-ctr (RFC 4344) with hmac-sha2-{256,512}-etm@openssh.com (OpenSSH PROTOCOL §1.5).
/// The length travels in clear; the MAC covers seq || length || ciphertext and is checked before
/// decrypting. The 128-bit counter runs on across packets for the whole key epoch.
/// </summary>
internal sealed class AesCtrEtmProtection : PacketProtection
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

    public AesCtrEtmProtection(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, string macAlgorithm, ReadOnlySpan<byte> macKey)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
        _counterHigh = BinaryPrimitives.ReadUInt64BigEndian(iv);
        _counterLow = BinaryPrimitives.ReadUInt64BigEndian(iv[8..]);
        (var hash, _macSize) = macAlgorithm switch
        {
            SshAlgorithms.HmacSha256Etm => (HashAlgorithmName.SHA256, 32),
            SshAlgorithms.HmacSha512Etm => (HashAlgorithmName.SHA512, 64),
            _ => throw new ArgumentException($"MAC {macAlgorithm} is not supported", nameof(macAlgorithm)),
        };
        _mac = IncrementalHash.CreateHMAC(hash, macKey);
    }

    public static int MacKeySize(string macAlgorithm) => macAlgorithm == SshAlgorithms.HmacSha512Etm ? 64 : 32;

    public override int BlockSize => 16;
    public override int TagSize => _macSize;

    public override uint ReadLength(ReadOnlySpan<byte> first4, uint sequence) => BinaryPrimitives.ReadUInt32BigEndian(first4);

    public override bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence)
    {
        ComputeMac(packet, sequence);
        if (!CryptographicOperations.FixedTimeEquals(_computed.AsSpan(0, _macSize), tag)) return false;
        Xcrypt(packet[4..]);
        return true;
    }

    public override void Seal(Span<byte> packet, Span<byte> tag, uint sequence)
    {
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
