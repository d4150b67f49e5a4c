using Wharf.Ssh.Algorithms;

namespace Wharf.Ssh.Tests.Transport;

public class ChaCha20Poly1305Tests
{
    // A packet captured from a real OpenSSH connection (an EXT_INFO, sequence number 3), as published in
    // PuTTY's test/cryptsuite.py testChaCha20Poly1305 (docs/SSH-INTEROP.md §5).
    private static readonly byte[] Key = Convert.FromHexString(
        "49e67c5ae596ea7f230e266538d0e373177cc8fe08ff7b642c22d736ca975655" +
        "c3fb639010fd297ca03c36b20a182ef40e1272f0c54251c175546ee00b150805");
    private static readonly byte[] LengthPlain = Convert.FromHexString("00000128");
    private static readonly byte[] LengthCipher = Convert.FromHexString("3ff3677b");
    private static readonly byte[] BodyPlain = Convert.FromHexString(
        "0807000000020000000f7365727665722d7369672d616c6773000000db737368" +
        "2d656432353531392c736b2d7373682d65643235353139406f70656e7373682e" +
        "636f6d2c7373682d7273612c7273612d736861322d3235362c7273612d736861" +
        "322d3531322c7373682d6473732c65636473612d736861322d6e697374703235" +
        "362c65636473612d736861322d6e697374703338342c65636473612d73686132" +
        "2d6e697374703532312c736b2d65636473612d736861322d6e69737470323536" +
        "406f70656e7373682e636f6d2c776562617574686e2d736b2d65636473612d73" +
        "6861322d6e69737470323536406f70656e7373682e636f6d0000001f7075626c" +
        "69636b65792d686f7374626f756e64406f70656e7373682e636f6d0000000130" +
        "c34aaefcafae6fc2");
    private static readonly byte[] BodyCipher = Convert.FromHexString(
        "bf587eabf385b1281fa9c755d8515dfdc40cb5e993b346e722dce48b1741b4e5" +
        "ce9ae075f6df0a1d2f72f94f735701257011630bbb0c7febd767184c0d5aa810" +
        "47cbce82972129a234b8ac5fc5f2b5be9264baca6d13ff3c9813a61e1f23468f" +
        "31964b60fc3f0888a227f02c737b2d27b7ae3cd60ede17533863a5bb6bb2d60a" +
        "c998ccd27e8ba56259f676ed04749fad4114678fb871add3a40625110637947c" +
        "e91459811622fd3d1fa7eb7efad4b1e897f3e860473935d3d8df0679a8b0df85" +
        "aa4124f2d9ac7207abd10719f465c9ed859d2b03bde55315b9024f660ba8d63a" +
        "64e0beb81e532201df830a52cf22148418d0c4c7da242346161d7320ac534cb5" +
        "c6b6fec905ee5f424becb9f97c3afbc55ef4ba369e61bce847158f0dc5bd7227" +
        "3b8693642db36f87");
    private static readonly byte[] Tag = Convert.FromHexString("09757178642dfc9f2c38ac5999e0fcfd");
    private const uint Sequence = 3;

    [Fact]
    public void SealingReproducesOpenSshsBytesAndTag()
    {
        using var p = new ChaCha20Poly1305Protection(Key);
        var packet = LengthPlain.Concat(BodyPlain).ToArray();
        var tag = new byte[16];
        p.Seal(packet, tag, Sequence);
        Assert.Equal(Convert.ToHexString(LengthCipher.Concat(BodyCipher).ToArray()), Convert.ToHexString(packet));
        Assert.Equal(Convert.ToHexString(Tag), Convert.ToHexString(tag));
    }

    /// <summary>
    /// Sealing takes the payload's keystream from the BCL's RFC 8439 AEAD (OpenSSL) and the rest from libsodium. Every
    /// packet size a connection sends, up to the largest sequence number, must give exactly what libsodium's ChaCha20
    /// alone gives under PROTOCOL.chacha20poly1305 (the reference below), and must open again.
    /// </summary>
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(0x7fffffffu)]
    [InlineData(uint.MaxValue)]
    public void SealingMatchesTheConstructionBuiltFromLibsodiumAloneForEverySize(uint sequence)
    {
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64);
        using var sealer = new ChaCha20Poly1305Protection(key);
        using var opener = new ChaCha20Poly1305Protection(key);
        foreach (var size in new[] { 8, 16, 63, 64, 65, 1000, 4096, 32768 + 16, 35000 })
        {
            var plain = System.Security.Cryptography.RandomNumberGenerator.GetBytes(size);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(plain, (uint)(size - 4));
            var packet = plain.ToArray();
            var tag = new byte[16];
            sealer.Seal(packet, tag, sequence);

            var nonce = new byte[12];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), sequence);
            var expected = new byte[size];
            Geralt.ChaCha20.Encrypt(expected.AsSpan(0, 4), plain.AsSpan(0, 4), nonce, key.AsSpan(32), 0);
            Geralt.ChaCha20.Encrypt(expected.AsSpan(4), plain.AsSpan(4), nonce, key.AsSpan(0, 32), 1);
            var polyKey = new byte[32];
            Geralt.ChaCha20.Encrypt(polyKey, new byte[32], nonce, key.AsSpan(0, 32), 0);
            var expectedTag = new byte[16];
            Geralt.Poly1305.ComputeTag(expectedTag, expected, polyKey);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(packet));
            Assert.Equal(Convert.ToHexString(expectedTag), Convert.ToHexString(tag));

            Assert.Equal((uint)(size - 4), opener.ReadLength(packet, sequence));
            Assert.True(opener.Open(packet, tag, sequence));
            Assert.Equal(plain, packet);
        }
    }

    [Fact]
    public void OpeningOpenSshsPacketGivesLengthAndPlaintext()
    {
        using var p = new ChaCha20Poly1305Protection(Key);
        Assert.Equal(0x128u, p.ReadLength(LengthCipher, Sequence));
        var packet = LengthCipher.Concat(BodyCipher).ToArray();
        Assert.True(p.Open(packet, Tag, Sequence));
        Assert.Equal(Convert.ToHexString(LengthPlain.Concat(BodyPlain).ToArray()), Convert.ToHexString(packet));
    }

    [Fact]
    public void AnyFlippedBitInCiphertextOrTagIsRejected()
    {
        using var p = new ChaCha20Poly1305Protection(Key);
        var packet = LengthCipher.Concat(BodyCipher).ToArray();
        packet[100] ^= 1;
        Assert.False(p.Open(packet, Tag, Sequence));
        var tag = (byte[])Tag.Clone();
        tag[0] ^= 0x80;
        Assert.False(p.Open(LengthCipher.Concat(BodyCipher).ToArray(), tag, Sequence));
        Assert.False(p.Open(LengthCipher.Concat(BodyCipher).ToArray(), Tag, Sequence + 1));
    }
}
