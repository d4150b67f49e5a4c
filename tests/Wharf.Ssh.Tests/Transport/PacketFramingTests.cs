using System.Security.Cryptography;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Tests.Support;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Transport;

public class PacketFramingTests
{
    private static readonly byte[] Key64 = RandomNumberGenerator.GetBytes(64);
    private static readonly byte[] Key32 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Iv = RandomNumberGenerator.GetBytes(16);
    private static readonly byte[] MacKey = RandomNumberGenerator.GetBytes(64);

    public static TheoryData<string> Modes => new() { "none", SshAlgorithms.ChaCha20Poly1305, SshAlgorithms.Aes128Gcm, SshAlgorithms.Aes256Gcm, "aes128-ctr+sha256", "aes256-ctr+sha512", "aes128-ctr+hmac-sha2-256", "aes256-ctr+hmac-sha2-512" };

    // Both ends derive the same keys; each needs its own instance because CTR and GCM carry state.
    private static PacketProtection Create(string mode) => mode switch
    {
        "none" => NoProtection.Instance,
        SshAlgorithms.ChaCha20Poly1305 => new ChaCha20Poly1305Protection(Key64),
        SshAlgorithms.Aes128Gcm => new AesGcmProtection(Key32.AsSpan(0, 16), Iv),
        SshAlgorithms.Aes256Gcm => new AesGcmProtection(Key32, Iv),
        "aes128-ctr+sha256" => new AesCtrProtection(Key32.AsSpan(0, 16), Iv, SshAlgorithms.HmacSha256Etm, MacKey.AsSpan(0, 32)),
        "aes256-ctr+sha512" => new AesCtrProtection(Key32, Iv, SshAlgorithms.HmacSha512Etm, MacKey),
        "aes128-ctr+hmac-sha2-256" => new AesCtrProtection(Key32.AsSpan(0, 16), Iv, SshAlgorithms.HmacSha256, MacKey.AsSpan(0, 32)),
        "aes256-ctr+hmac-sha2-512" => new AesCtrProtection(Key32, Iv, SshAlgorithms.HmacSha512, MacKey),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    private static readonly byte[][] Payloads =
    [
        [2, 0, 0, 0, 0],
        [94, .. RandomNumberGenerator.GetBytes(1)],
        [94, .. RandomNumberGenerator.GetBytes(15)],
        [94, .. RandomNumberGenerator.GetBytes(16)],
        [94, .. RandomNumberGenerator.GetBytes(17)],
        [94, .. RandomNumberGenerator.GetBytes(700)],
        [94, .. RandomNumberGenerator.GetBytes(32768)],
    ];

    /// <summary>What a peer sends: identification, one clear packet, NEWKEYS, then the payloads under <paramref name="mode"/>.</summary>
    private static async Task<byte[]> RecordAsync(string mode)
    {
        var sink = new ChunkedReadStream([], (_, r) => r);
        var sender = new SshTransport(sink, 256 * 1024);
        await sender.SendVersionAsync("SSH-2.0-Peer_1.0", default);
        await sender.SendAsync(new byte[] { 2, 0, 0, 0, 1, 0x41 });
        await sender.SendNewKeysAsync(Create(mode), resetSequence: true, extInfo: default, default);
        foreach (var p in Payloads) await sender.SendAsync(p);
        return sink.Written.ToArray();
    }

    private static async Task<List<byte[]>> ReplayAsync(string mode, Stream stream)
    {
        var reader = new SshTransport(stream, 256 * 1024);
        Assert.Equal("SSH-2.0-Peer_1.0", await reader.ReadVersionAsync(default));
        var received = new List<byte[]>();
        var first = await reader.ReadPacketAsync(default);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 1, 0x41 }, first!.Value.ToArray());
        var newKeys = await reader.ReadPacketAsync(default);
        Assert.Equal(new byte[] { 21 }, newKeys!.Value.ToArray());
        reader.SwitchReceiveKeys(Create(mode), resetSequence: true);
        while (await reader.ReadPacketAsync(default) is { } p) received.Add(p.ToArray());
        return received;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task PacketsSurviveAStreamThatDeliversOneByteAtATime(string mode)
    {
        var bytes = await RecordAsync(mode);
        var got = await ReplayAsync(mode, new ChunkedReadStream(bytes, (_, _) => 1));
        Assert.Equal(Payloads.Select(Convert.ToHexString), got.Select(Convert.ToHexString));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task PacketsSurviveTheStreamSplitAtEveryPosition(string mode)
    {
        // Without the 32 KiB payload, so that every split position is cheap to try.
        var bytes = await RecordAsync(mode);
        var limit = Math.Min(bytes.Length, 2000);
        for (var split = 1; split < limit; split++)
        {
            var at = split;
            var got = await ReplayAsync(mode, new ChunkedReadStream(bytes, (pos, rest) => pos < at ? at - pos : rest));
            Assert.Equal(Payloads.Length, got.Count);
            Assert.Equal(Convert.ToHexString(Payloads[^1]), Convert.ToHexString(got[^1]));
        }
    }

    public static TheoryData<string> ProtectedModes => new() { SshAlgorithms.ChaCha20Poly1305, SshAlgorithms.Aes128Gcm, SshAlgorithms.Aes256Gcm, "aes128-ctr+sha256", "aes256-ctr+sha512", "aes128-ctr+hmac-sha2-256", "aes256-ctr+hmac-sha2-512" };

    [Theory]
    [MemberData(nameof(ProtectedModes))]
    public async Task AFlippedBitAfterNewKeysIsAMacError(string mode)
    {
        var bytes = await RecordAsync(mode);
        // Flip a bit well inside the last packet (the 32 KiB one), after the keys changed.
        bytes[^100] ^= 0x10;
        var e = await Assert.ThrowsAsync<SshProtocolException>(() => ReplayAsync(mode, new ChunkedReadStream(bytes, (_, r) => r)));
        Assert.Equal(SshDisconnectReason.MacError, e.Reason);
        Assert.Equal("message authentication code incorrect", e.Message);
    }

    [Fact]
    public async Task AnOversizedLengthIsRefusedBeforeAnythingIsBuffered()
    {
        var version = "SSH-2.0-Peer_1.0\r\n"u8.ToArray();
        byte[] huge = [0x7f, 0xff, 0xff, 0xf8, 4, 0, 0, 0];
        var stream = new ChunkedReadStream([.. version, .. huge], (_, r) => r);
        var reader = new SshTransport(stream, 256 * 1024);
        await reader.ReadVersionAsync(default);
        var e = await Assert.ThrowsAsync<SshProtocolException>(async () => await reader.ReadPacketAsync(default));
        Assert.Equal(SshDisconnectReason.ProtocolError, e.Reason);
        Assert.Equal("bad packet length 2147483640", e.Message);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", SshDisconnectReason.ProtocolError, "invalid SSH identification string")]
    [InlineData("SSH-1.5-Old\r\n", SshDisconnectReason.ProtocolVersionNotSupported, "protocol version not supported")]
    public async Task GarbageInsteadOfAnIdentificationLineIsRefused(string line, SshDisconnectReason reason, string message)
    {
        var reader = new SshTransport(new ChunkedReadStream(System.Text.Encoding.ASCII.GetBytes(line), (_, r) => r), 256 * 1024);
        var e = await Assert.ThrowsAsync<SshProtocolException>(() => reader.ReadVersionAsync(default));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task AnEndlessIdentificationLineIsCutOffAt255Bytes()
    {
        var reader = new SshTransport(new ChunkedReadStream(new byte[100_000].Select(_ => (byte)'A').ToArray(), (_, _) => 7), 256 * 1024);
        var e = await Assert.ThrowsAsync<SshProtocolException>(() => reader.ReadVersionAsync(default));
        Assert.Equal("identification line too long", e.Message);
    }
}
