using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Wharf.Ssh.Wire;

/// <summary>
/// Reads the SSH data types of RFC 4251 §5 from a span. Every read checks bounds and throws
/// <see cref="SshProtocolException"/> on truncated or malformed input, so message parsers never index
/// past the end of a hostile packet.
/// </summary>
public ref struct SshReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly int Position => _pos;
    public readonly int Remaining => _data.Length - _pos;
    public readonly bool End => _pos >= _data.Length;
    public readonly ReadOnlySpan<byte> Rest => _data[_pos..];

    public byte ReadByte()
    {
        Need(1);
        return _data[_pos++];
    }

    public bool ReadBoolean() => ReadByte() != 0;

    public uint ReadUInt32()
    {
        Need(4);
        var v = BinaryPrimitives.ReadUInt32BigEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    public ulong ReadUInt64()
    {
        Need(8);
        var v = BinaryPrimitives.ReadUInt64BigEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    /// <summary>An SSH <c>string</c> as raw bytes.</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        var len = ReadUInt32();
        if (len > (uint)Remaining) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "string length exceeds packet");
        return ReadBytes((int)len);
    }

    /// <summary>An SSH <c>string</c> decoded as UTF-8 (strict: invalid sequences are refused).</summary>
    public string ReadString()
    {
        var b = ReadBinary();
        try { return StrictUtf8.GetString(b); }
        catch (DecoderFallbackException) { throw new SshProtocolException(SshDisconnectReason.ProtocolError, "invalid UTF-8 in string"); }
    }

    /// <summary>
    /// A name-list (RFC 4251 §5). Empty elements are skipped: libssh 0.10.6 sends a trailing comma
    /// (docs/SSH-INTEROP.md §3).
    /// </summary>
    public string[] ReadNameList()
    {
        var b = ReadBinary();
        foreach (var c in b)
            if (c < 0x20 || c > 0x7e) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "invalid character in name-list");
        return Encoding.ASCII.GetString(b).Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>An mpint's magnitude bytes, big-endian, without sign padding. Negative values are refused.</summary>
    public ReadOnlySpan<byte> ReadMPIntUnsigned()
    {
        var b = ReadBinary();
        if (b.Length > 0 && (b[0] & 0x80) != 0) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "negative mpint");
        while (b.Length > 0 && b[0] == 0) b = b[1..];
        return b;
    }

    public BigInteger ReadMPInt() => new(ReadMPIntUnsigned(), isUnsigned: true, isBigEndian: true);

    private readonly void Need(int n)
    {
        if (n < 0 || n > Remaining) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "message truncated");
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
}
