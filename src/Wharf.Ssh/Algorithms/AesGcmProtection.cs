using System.Buffers.Binary;
using System.Security.Cryptography;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Algorithms;

/// <summary>
/// aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647 as amended by OpenSSH PROTOCOL §1.6):
/// the length is sent in clear as the AAD; the 12-byte IV is fixed(4) || counter(8), and the counter is
/// incremented after every packet, independent of the sequence number (so strict-KEX resets do not touch it).
/// </summary>
internal sealed class AesGcmProtection : PacketProtection
{
    private readonly AesGcm _gcm;
    private readonly byte[] _iv = new byte[12];

    public AesGcmProtection(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        _gcm = new AesGcm(key, 16);
        iv[..12].CopyTo(_iv);
    }

    public override int BlockSize => 16;
    public override int TagSize => 16;

    public override uint ReadLength(ReadOnlySpan<byte> first4, uint sequence) => BinaryPrimitives.ReadUInt32BigEndian(first4);

    public override bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence)
    {
        var body = packet[4..];
        try { _gcm.Decrypt(_iv, body, tag, body, packet[..4]); }
        catch (AuthenticationTagMismatchException) { return false; }
        IncrementIv();
        return true;
    }

    public override void Seal(Span<byte> packet, Span<byte> tag, uint sequence)
    {
        var body = packet[4..];
        _gcm.Encrypt(_iv, body, body, tag, packet[..4]);
        IncrementIv();
    }

    private void IncrementIv()
    {
        var counter = _iv.AsSpan(4);
        BinaryPrimitives.WriteUInt64BigEndian(counter, BinaryPrimitives.ReadUInt64BigEndian(counter) + 1);
    }

    public override void Dispose() => _gcm.Dispose();
}
