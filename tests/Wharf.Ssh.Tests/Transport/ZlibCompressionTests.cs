using System.Security.Cryptography;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Transport;

public class ZlibCompressionTests
{
    [Fact]
    public void PacketsInflateOneByOneFromOneContinuousStream()
    {
        using var deflater = ZlibCompression.CreateDeflater();
        using var inflater = ZlibCompression.CreateInflater(256 * 1024);
        var packets = new[] { new byte[] { 94, 1, 2, 3 }, RandomNumberGenerator.GetBytes(40_000), new byte[20_000], "hello hello hello"u8.ToArray() };
        foreach (var p in packets)
        {
            var compressed = deflater.Process(p).ToArray();
            Assert.Equal(Convert.ToHexString(p), Convert.ToHexString(inflater.Process(compressed).Span));
        }
    }

    [Fact]
    public void APacketThatInflatesBeyondTheLimitIsACompressionError()
    {
        using var deflater = ZlibCompression.CreateDeflater();
        using var inflater = ZlibCompression.CreateInflater(256 * 1024);
        // A megabyte of zeros deflates to about a kilobyte: a small packet that would explode.
        var bomb = deflater.Process(new byte[1024 * 1024]).ToArray();
        Assert.True(bomb.Length < 35_000);
        var e = Assert.Throws<SshProtocolException>(() => inflater.Process(bomb));
        Assert.Equal(SshDisconnectReason.CompressionError, e.Reason);
        Assert.Equal("decompressed packet too large", e.Message);
    }

    [Fact]
    public void GarbageIsACompressionError()
    {
        using var inflater = ZlibCompression.CreateInflater(256 * 1024);
        var e = Assert.Throws<SshProtocolException>(() => inflater.Process(RandomNumberGenerator.GetBytes(100)));
        Assert.Equal(SshDisconnectReason.CompressionError, e.Reason);
    }
}
