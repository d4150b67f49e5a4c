using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Wharf.Ssh.Transport;

/// <summary>
/// What a PROXY protocol header said: the client's address and port as the proxy saw them, or null when the
/// header carries none (v2 LOCAL, v1 UNKNOWN, an unspecified or Unix-socket family), in which case the real
/// connection's endpoint stands.
/// </summary>
public sealed record ProxyHeader(IPEndPoint? Source, IPEndPoint? Destination);

/// <summary>A PROXY protocol header that is missing, malformed or too long; the connection is closed.</summary>
public sealed class ProxyProtocolException(string message) : Exception(message);

/// <summary>
/// Reads the header that a TCP proxy (HAProxy's <c>send-proxy</c> / <c>send-proxy-v2</c>, AWS NLB, many others) puts
/// before the proxied bytes, as HAProxy's "The PROXY protocol" (proxy-protocol.txt, versions 1 and 2) defines it. The
/// library knows only the wire format; which senders may send one is the application's decision
/// (<see cref="Server.SshServerOptions.ProxyProtocol"/>). A sender that is trusted must send a header: the receiver
/// may not guess whether one is there (proxy-protocol.txt, section 1).
/// </summary>
public static class ProxyProtocol
{
    /// <summary>The longest version 1 line, CRLF included (proxy-protocol.txt, section 2.1).</summary>
    public const int MaxV1Length = 107;

    /// <summary>
    /// The longest version 2 header accepted, 16 fixed bytes included. Addresses take at most 216 bytes (two Unix
    /// paths); the rest is room for TLVs (AWS and GCP add a few dozen bytes), which are skipped.
    /// </summary>
    public const int MaxV2Length = 1024;

    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>True when <paramref name="start"/> begins like a PROXY header of either version.</summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> start) =>
        start.StartsWith("PROXY "u8) || (start.Length >= V2Signature.Length && start.StartsWith(V2Signature));

    /// <summary>
    /// Reads exactly one header from <paramref name="stream"/> and nothing after it, so that the stream goes on with
    /// the proxied bytes. Throws <see cref="ProxyProtocolException"/> when the stream does not start with a
    /// well-formed header, and <see cref="EndOfStreamException"/> when it ends first.
    /// </summary>
    public static async Task<ProxyHeader> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        // Twelve bytes: the whole v2 signature, and no more than the shortest v1 line ("PROXY UNKNOWN\r\n", 15).
        var start = new byte[12];
        await stream.ReadExactlyAsync(start, cancellationToken).ConfigureAwait(false);
        if (start.AsSpan().SequenceEqual(V2Signature))
        {
            var fixedPart = new byte[4];
            await stream.ReadExactlyAsync(fixedPart, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(2));
            if (16 + length > MaxV2Length) throw new ProxyProtocolException($"PROXY v2 header of {16 + length} bytes is longer than the {MaxV2Length} accepted");
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
            return ParseV2(fixedPart[0], fixedPart[1], body);
        }
        if (!start.AsSpan().StartsWith("PROXY "u8)) throw new ProxyProtocolException("no PROXY protocol header");
        // Byte by byte up to the line feed: reading ahead would swallow the client's first bytes.
        var line = new byte[MaxV1Length];
        start.CopyTo(line, 0);
        var count = start.Length;
        var one = new byte[1];
        while (count < 2 || line[count - 1] != (byte)'\n')
        {
            if (count == MaxV1Length) throw new ProxyProtocolException($"PROXY v1 line longer than {MaxV1Length} bytes");
            await stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
            line[count++] = one[0];
        }
        return ParseV1(line.AsSpan(0, count));
    }

    /// <summary>One version 1 line, CRLF included.</summary>
    public static ProxyHeader ParseV1(ReadOnlySpan<byte> line)
    {
        if (line.Length < 8 || line[^2] != (byte)'\r' || line[^1] != (byte)'\n') throw new ProxyProtocolException("PROXY v1 line does not end with CRLF");
        foreach (var b in line[..^2])
            if (b is < 0x20 or > 0x7e) throw new ProxyProtocolException("PROXY v1 line has a byte that is not printable ASCII");
        var text = Encoding.ASCII.GetString(line[..^2]);
        var fields = text.Split(' ');
        if (fields[0] != "PROXY" || fields.Length < 2) throw new ProxyProtocolException("malformed PROXY v1 line");
        // "UNKNOWN": the proxy cannot tell; whatever follows is ignored and the real endpoint stands.
        if (fields[1] == "UNKNOWN") return new ProxyHeader(null, null);
        var family = fields[1] switch
        {
            "TCP4" => AddressFamily.InterNetwork,
            "TCP6" => AddressFamily.InterNetworkV6,
            _ => throw new ProxyProtocolException($"PROXY v1 protocol '{fields[1]}' is not TCP4, TCP6 or UNKNOWN"),
        };
        if (fields.Length != 6) throw new ProxyProtocolException("PROXY v1 line must have source and destination addresses and ports");
        return new ProxyHeader(
            new IPEndPoint(V1Address(fields[2], family), V1Port(fields[4])),
            new IPEndPoint(V1Address(fields[3], family), V1Port(fields[5])));
    }

    private static IPAddress V1Address(string text, AddressFamily family)
    {
        // IPAddress.TryParse also takes "1" or "0x7f.1" for IPv4 and scope ids for IPv6; the header allows neither.
        var wellFormed = family == AddressFamily.InterNetwork
            ? text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit))
            : text.Length > 0 && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.');
        if (!wellFormed || !IPAddress.TryParse(text, out var address) || address.AddressFamily != family)
            throw new ProxyProtocolException($"PROXY v1 address '{text}' is not a valid {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
        return address;
    }

    private static int V1Port(string text)
    {
        if (text.Length is < 1 or > 5 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0')
            || int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) > 65535)
            throw new ProxyProtocolException($"PROXY v1 port '{text}' is not a number from 0 to 65535");
        return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A version 2 header after its signature: the version/command byte, the family/transport byte and the rest.</summary>
    public static ProxyHeader ParseV2(byte versionCommand, byte familyTransport, ReadOnlySpan<byte> body)
    {
        if (versionCommand >> 4 != 2) throw new ProxyProtocolException($"PROXY v2 header has version {versionCommand >> 4}");
        switch (versionCommand & 0x0F)
        {
            case 0: return new ProxyHeader(null, null); // LOCAL: the proxy's own connection (a health check)
            case 1: break; // PROXY
            default: throw new ProxyProtocolException($"PROXY v2 header has unknown command {versionCommand & 0x0F}");
        }
        var transport = familyTransport & 0x0F;
        if (transport == 2) throw new ProxyProtocolException("PROXY v2 header describes a datagram connection");
        if (transport > 2) throw new ProxyProtocolException($"PROXY v2 header has unknown transport {transport}");
        switch (familyTransport >> 4)
        {
            case 0: return new ProxyHeader(null, null); // UNSPEC: the real endpoint stands
            case 1:
                if (body.Length < 12) throw new ProxyProtocolException("PROXY v2 header too short for IPv4 addresses");
                return new ProxyHeader(
                    new IPEndPoint(new IPAddress(body[..4]), BinaryPrimitives.ReadUInt16BigEndian(body[8..])),
                    new IPEndPoint(new IPAddress(body[4..8]), BinaryPrimitives.ReadUInt16BigEndian(body[10..])));
            case 2:
                if (body.Length < 36) throw new ProxyProtocolException("PROXY v2 header too short for IPv6 addresses");
                return new ProxyHeader(
                    new IPEndPoint(new IPAddress(body[..16]), BinaryPrimitives.ReadUInt16BigEndian(body[32..])),
                    new IPEndPoint(new IPAddress(body[16..32]), BinaryPrimitives.ReadUInt16BigEndian(body[34..])));
            case 3:
                if (body.Length < 216) throw new ProxyProtocolException("PROXY v2 header too short for Unix socket addresses");
                return new ProxyHeader(null, null); // a Unix socket has no address to log; the real endpoint stands
            default:
                throw new ProxyProtocolException($"PROXY v2 header has unknown address family {familyTransport >> 4}");
        }
    }
}
