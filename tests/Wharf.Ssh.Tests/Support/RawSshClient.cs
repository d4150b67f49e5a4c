using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Wharf.Ssh.Tests.Support;

/// <summary>
/// A bare TCP peer that speaks just enough of the unencrypted start of SSH to provoke the server's limits:
/// identification lines and plaintext packets.
/// </summary>
internal sealed class RawSshClient : IDisposable
{
    private readonly TcpClient _tcp = new();
    private readonly NetworkStream _stream;
    private readonly List<byte> _buffered = [];

    public RawSshClient(int port)
    {
        _tcp.Connect("127.0.0.1", port);
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 15000;
    }

    public void Send(byte[] bytes) => _stream.Write(bytes);
    public void SendLine(string line) => Send(Encoding.ASCII.GetBytes(line + "\r\n"));

    /// <summary>Sends one unencrypted packet with the given payload.</summary>
    public void SendPacket(byte[] payload)
    {
        var padding = 8 - (5 + payload.Length) % 8;
        if (padding < 4) padding += 8;
        var packet = new byte[5 + payload.Length + padding];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(1 + payload.Length + padding));
        packet[4] = (byte)padding;
        payload.CopyTo(packet, 5);
        Send(packet);
    }

    public string ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            var b = ReadByte();
            if (b < 0) throw new EndOfStreamException("closed before end of line: " + Encoding.ASCII.GetString(line.ToArray()));
            if (b == '\n') return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            line.Add((byte)b);
        }
    }

    /// <summary>Reads one unencrypted packet's payload, or null at end of stream.</summary>
    public byte[]? ReadPacket()
    {
        var header = ReadExactly(5);
        if (header is null) return null;
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        var rest = ReadExactly((int)length - 1) ?? throw new EndOfStreamException("truncated packet");
        return rest[..^header[4]];
    }

    /// <summary>Reads packets until a DISCONNECT arrives; returns its reason code and description.</summary>
    public (uint Reason, string Description) ReadUntilDisconnect()
    {
        while (ReadPacket() is { } p)
        {
            if (p[0] != 1) continue;
            var reason = BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(1));
            var len = (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(5));
            return (reason, Encoding.UTF8.GetString(p, 9, len));
        }
        throw new EndOfStreamException("closed without DISCONNECT");
    }

    /// <summary>True when the server closes the connection within the read timeout.</summary>
    public bool ReadsToEnd()
    {
        try
        {
            while (ReadByte() >= 0) { }
            return true;
        }
        catch (IOException) { return false; }
    }

    private byte[]? ReadExactly(int n)
    {
        var result = new byte[n];
        for (var i = 0; i < n; i++)
        {
            var b = ReadByte();
            if (b < 0) return i == 0 ? null : throw new EndOfStreamException("truncated");
            result[i] = (byte)b;
        }
        return result;
    }

    private int ReadByte()
    {
        try { return _stream.ReadByte(); }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }) { return -1; }
    }

    /// <summary>True when nothing arrives within <paramref name="wait"/>.</summary>
    public bool StaysSilentFor(TimeSpan wait)
    {
        Thread.Sleep(wait);
        return _tcp.Available == 0;
    }

    public void Dispose() => _tcp.Dispose();
}
