using System.Net;
using System.Text;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Transport;

/// <summary>
/// The PROXY protocol header parser (HAProxy's proxy-protocol.txt, versions 1 and 2): what it takes, what it refuses
/// with which message, and that it reads the header and not one byte more.
/// </summary>
public class ProxyProtocolTests
{
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    private static readonly byte[] After = Encoding.ASCII.GetBytes("SSH-2.0-Client\r\n");

    private static async Task<(ProxyHeader Header, byte[] Remaining)> ReadAsync(byte[] header)
    {
        var stream = new MemoryStream([.. header, .. After]);
        var parsed = await ProxyProtocol.ReadAsync(stream, default);
        return (parsed, stream.ToArray()[(int)stream.Position..]);
    }

    private static async Task<string> RefusalAsync(byte[] header)
    {
        var e = await Assert.ThrowsAsync<ProxyProtocolException>(() => ProxyProtocol.ReadAsync(new MemoryStream([.. header, .. After]), default));
        return e.Message;
    }

    private static byte[] V2(byte versionCommand, byte familyTransport, byte[] body) =>
        [.. Signature, versionCommand, familyTransport, (byte)(body.Length >> 8), (byte)body.Length, .. body];

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 51234 2222\r\n", "203.0.113.7:51234", "192.0.2.1:2222")]
    [InlineData("PROXY TCP6 2001:db8::7 2001:db8::1 51234 22\r\n", "[2001:db8::7]:51234", "[2001:db8::1]:22")]
    [InlineData("PROXY TCP6 ::ffff:203.0.113.7 ::1 65535 0\r\n", "[::ffff:203.0.113.7]:65535", "[::1]:0")]
    public async Task AVersion1LineGivesTheClientsAddressAndLeavesTheSshBytes(string line, string source, string destination)
    {
        var (header, rest) = await ReadAsync(Encoding.ASCII.GetBytes(line));
        Assert.Equal(source, header.Source!.ToString());
        Assert.Equal(destination, header.Destination!.ToString());
        Assert.Equal(After, rest);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n")]
    public async Task Version1UnknownKeepsTheRealEndpoint(string line)
    {
        var (header, rest) = await ReadAsync(Encoding.ASCII.GetBytes(line));
        Assert.Null(header.Source);
        Assert.Equal(After, rest);
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 51234\r\n", "PROXY v1 line must have source and destination addresses and ports")]
    [InlineData("PROXY TCP4 2001:db8::7 192.0.2.1 51234 22\r\n", "PROXY v1 address '2001:db8::7' is not a valid IPv4 address")]
    [InlineData("PROXY TCP4 203.7 192.0.2.1 51234 22\r\n", "PROXY v1 address '203.7' is not a valid IPv4 address")]
    [InlineData("PROXY TCP6 203.0.113.7 ::1 51234 22\r\n", "PROXY v1 address '203.0.113.7' is not a valid IPv6 address")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 65536 22\r\n", "PROXY v1 port '65536' is not a number from 0 to 65535")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 051234 22\r\n", "PROXY v1 port '051234' is not a number from 0 to 65535")]
    [InlineData("PROXY UDP4 203.0.113.7 192.0.2.1 51234 22\r\n", "PROXY v1 protocol 'UDP4' is not TCP4, TCP6 or UNKNOWN")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 51234 22\n", "PROXY v1 line does not end with CRLF")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", "no PROXY protocol header")]
    public async Task AMalformedVersion1LineIsRefused(string line, string message)
    {
        Assert.Equal(message, await RefusalAsync(Encoding.ASCII.GetBytes(line)));
    }

    [Fact]
    public async Task AVersion1LineWithoutAnEndIsCutOffAt107Bytes()
    {
        var line = Encoding.ASCII.GetBytes("PROXY TCP6 " + new string('1', 200));
        Assert.Equal("PROXY v1 line longer than 107 bytes", await RefusalAsync(line));
    }

    [Fact]
    public async Task TheLongestVersion1LinesAreAccepted()
    {
        // The specification's worst case is UNKNOWN with two full IPv6 addresses: 107 bytes.
        const string address = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        var unknown = $"PROXY UNKNOWN {address} {address} 65535 65535\r\n";
        Assert.Equal(ProxyProtocol.MaxV1Length, unknown.Length);
        Assert.Equal(After, (await ReadAsync(Encoding.ASCII.GetBytes(unknown))).Remaining);
        var (header, rest) = await ReadAsync(Encoding.ASCII.GetBytes($"PROXY TCP6 {address} {address} 65535 65535\r\n"));
        Assert.Equal($"[{address}]:65535", header.Source!.ToString());
        Assert.Equal(After, rest);
    }

    [Fact]
    public async Task AVersion2Ipv4HeaderWithATlvGivesTheClientsAddress()
    {
        // PROXY over TCP/IPv4, then one TLV (PP2_TYPE_AUTHORITY "git.example") that is skipped.
        byte[] body = [203, 0, 113, 7, 192, 0, 2, 1, 0xC8, 0x22, 0x08, 0xAE, 0x02, 0x00, 0x0B, .. "git.example"u8];
        var (header, rest) = await ReadAsync(V2(0x21, 0x11, body));
        Assert.Equal("203.0.113.7:51234", header.Source!.ToString());
        Assert.Equal("192.0.2.1:2222", header.Destination!.ToString());
        Assert.Equal(After, rest);
    }

    [Fact]
    public async Task AVersion2Ipv6HeaderGivesTheClientsAddress()
    {
        var source = IPAddress.Parse("2001:db8::7").GetAddressBytes();
        var destination = IPAddress.Parse("2001:db8::1").GetAddressBytes();
        var (header, rest) = await ReadAsync(V2(0x21, 0x21, [.. source, .. destination, 0xC8, 0x22, 0x00, 0x16]));
        Assert.Equal("[2001:db8::7]:51234", header.Source!.ToString());
        Assert.Equal("[2001:db8::1]:22", header.Destination!.ToString());
        Assert.Equal(After, rest);
    }

    [Theory]
    [InlineData((byte)0x20, (byte)0x00)] // LOCAL: the proxy's own health check
    [InlineData((byte)0x20, (byte)0x11)] // LOCAL with addresses: they are ignored
    [InlineData((byte)0x21, (byte)0x00)] // PROXY, UNSPEC family
    public async Task Version2LocalAndUnspecifiedKeepTheRealEndpoint(byte versionCommand, byte familyTransport)
    {
        byte[] body = familyTransport == 0x11 ? [203, 0, 113, 7, 192, 0, 2, 1, 0xC8, 0x22, 0x08, 0xAE] : [];
        var (header, rest) = await ReadAsync(V2(versionCommand, familyTransport, body));
        Assert.Null(header.Source);
        Assert.Equal(After, rest);
    }

    [Theory]
    [InlineData((byte)0x11, (byte)0x11, 12, "PROXY v2 header has version 1")]
    [InlineData((byte)0x22, (byte)0x11, 12, "PROXY v2 header has unknown command 2")]
    [InlineData((byte)0x21, (byte)0x12, 12, "PROXY v2 header describes a datagram connection")]
    [InlineData((byte)0x21, (byte)0x41, 12, "PROXY v2 header has unknown address family 4")]
    [InlineData((byte)0x21, (byte)0x11, 8, "PROXY v2 header too short for IPv4 addresses")]
    [InlineData((byte)0x21, (byte)0x21, 12, "PROXY v2 header too short for IPv6 addresses")]
    public async Task AMalformedVersion2HeaderIsRefused(byte versionCommand, byte familyTransport, int bodyLength, string message)
    {
        Assert.Equal(message, await RefusalAsync(V2(versionCommand, familyTransport, new byte[bodyLength])));
    }

    [Fact]
    public async Task AnOversizedVersion2HeaderIsRefusedBeforeItsBodyIsRead()
    {
        // Announces 65535 bytes and sends none of them: refused on the length alone.
        byte[] header = [.. Signature, 0x21, 0x11, 0xFF, 0xFF];
        var e = await Assert.ThrowsAsync<ProxyProtocolException>(() => ProxyProtocol.ReadAsync(new MemoryStream(header), default));
        Assert.Equal("PROXY v2 header of 65551 bytes is longer than the 1024 accepted", e.Message);
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 512")]
    [InlineData("PROX")]
    public async Task ATruncatedHeaderIsEndOfStream(string text)
    {
        await Assert.ThrowsAsync<EndOfStreamException>(() => ProxyProtocol.ReadAsync(new MemoryStream(Encoding.ASCII.GetBytes(text)), default));
    }

    [Fact]
    public async Task ATruncatedVersion2HeaderIsEndOfStream()
    {
        byte[] header = [.. Signature, 0x21, 0x11, 0x00, 0x0C, 203, 0, 113];
        await Assert.ThrowsAsync<EndOfStreamException>(() => ProxyProtocol.ReadAsync(new MemoryStream(header), default));
    }
}
