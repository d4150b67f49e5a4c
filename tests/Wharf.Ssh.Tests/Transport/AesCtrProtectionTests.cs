using Wharf.Ssh.Algorithms;

namespace Wharf.Ssh.Tests.Transport;

/// <summary>
/// aes128-ctr with the plain hmac-sha2-256 of RFC 6668 (MAC over the sequence number and the unencrypted packet,
/// the whole packet encrypted, RFC 4253 §6.4), against a packet built and protected independently with Python's
/// <c>cryptography</c> package (AES-CTR) and <c>hmac</c>: key 00..0f, IV 10..1f, MAC key 20..3f, sequence number 3,
/// an SSH_MSG_CHANNEL_DATA for channel 0 carrying "hello" with 13 zero padding bytes.
/// </summary>
public class AesCtrProtectionTests
{
    private static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] Iv = Convert.FromHexString("101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] MacKey = Convert.FromHexString("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
    private const string Plain = "0000001c0d5e000000000000000568656c6c6f00000000000000000000000000";
    private const string Cipher = "07feef68ec8b036e900eee118e91faf6feaeaa04d80c820246797d628bf9de08";
    private const string Mac = "e9308147a31360571d87530ac4eec6b7a53fa6d5fb9844589f8692ad6f036b9c";

    [Fact]
    public void SealEncryptsTheLengthAndMacsThePlaintext()
    {
        using var protection = new AesCtrProtection(Key, Iv, SshAlgorithms.HmacSha256, MacKey);
        var packet = Convert.FromHexString(Plain);
        var tag = new byte[32];
        protection.Seal(packet, tag, 3);
        Assert.Equal(Cipher, Convert.ToHexString(packet), ignoreCase: true);
        Assert.Equal(Mac, Convert.ToHexString(tag), ignoreCase: true);
        Assert.True(protection.LengthIsAligned);
    }

    [Fact]
    public void TheReceiverReadsTheLengthBeforeDecryptingAndThenChecksTheMac()
    {
        using var protection = new AesCtrProtection(Key, Iv, SshAlgorithms.HmacSha256, MacKey);
        var packet = Convert.FromHexString(Cipher);
        // Asked twice, as the transport does while a packet's bytes are still arriving: the counter must not move.
        Assert.Equal(0x1cu, protection.ReadLength(packet.AsSpan(0, 4), 3));
        Assert.Equal(0x1cu, protection.ReadLength(packet.AsSpan(0, 4), 3));
        Assert.True(protection.Open(packet, Convert.FromHexString(Mac), 3));
        Assert.Equal(Plain, Convert.ToHexString(packet), ignoreCase: true);
    }

    [Fact]
    public void AWrongSequenceNumberFailsTheMac()
    {
        using var protection = new AesCtrProtection(Key, Iv, SshAlgorithms.HmacSha256, MacKey);
        Assert.False(protection.Open(Convert.FromHexString(Cipher), Convert.FromHexString(Mac), 4));
    }
}
