using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Wharf.Ssh.Wire;

/// <summary>
/// Writes RFC 4251 §5 data types into a growable buffer. One writer is reused per connection for
/// control messages; channel data takes its own path so the data path does not allocate.
/// </summary>
public sealed class SshWriter : IBufferWriter<byte>
{
    private byte[] _buf;
    private int _len;

    public SshWriter(int capacity = 256) => _buf = new byte[capacity];

    public int Length => _len;
    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _len);
    public ReadOnlyMemory<byte> WrittenMemory => _buf.AsMemory(0, _len);
    public void Clear() => _len = 0;
    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Advance(int count) => _len += count;

    public Memory<byte> GetMemory(int sizeHint = 0) { Ensure(Math.Max(sizeHint, 1)); return _buf.AsMemory(_len); }
    public Span<byte> GetSpan(int sizeHint = 0) { Ensure(Math.Max(sizeHint, 1)); return _buf.AsSpan(_len); }

    public void WriteByte(byte v) { Ensure(1); _buf[_len++] = v; }
    public void WriteBoolean(bool v) => WriteByte(v ? (byte)1 : (byte)0);
    public void WriteUInt32(uint v) { Ensure(4); BinaryPrimitives.WriteUInt32BigEndian(_buf.AsSpan(_len), v); _len += 4; }
    public void WriteUInt64(ulong v) { Ensure(8); BinaryPrimitives.WriteUInt64BigEndian(_buf.AsSpan(_len), v); _len += 8; }
    public void WriteRaw(ReadOnlySpan<byte> v) { Ensure(v.Length); v.CopyTo(_buf.AsSpan(_len)); _len += v.Length; }

    public void WriteBinary(ReadOnlySpan<byte> v) { WriteUInt32((uint)v.Length); WriteRaw(v); }

    public void WriteString(string v)
    {
        var n = Encoding.UTF8.GetByteCount(v);
        WriteUInt32((uint)n);
        Ensure(n);
        _len += Encoding.UTF8.GetBytes(v, _buf.AsSpan(_len));
    }

    public void WriteNameList(IEnumerable<string> names) => WriteString(string.Join(',', names));

    /// <summary>An unsigned big-endian magnitude as an mpint: leading zeros stripped, 0x00 added when the top bit is set.</summary>
    public void WriteMPInt(ReadOnlySpan<byte> unsignedBigEndian)
    {
        while (unsignedBigEndian.Length > 0 && unsignedBigEndian[0] == 0) unsignedBigEndian = unsignedBigEndian[1..];
        if (unsignedBigEndian.Length > 0 && (unsignedBigEndian[0] & 0x80) != 0)
        {
            WriteUInt32((uint)unsignedBigEndian.Length + 1);
            WriteByte(0);
        }
        else WriteUInt32((uint)unsignedBigEndian.Length);
        WriteRaw(unsignedBigEndian);
    }

    public void WriteMPInt(BigInteger v)
    {
        if (v.Sign < 0) throw new ArgumentOutOfRangeException(nameof(v));
        WriteMPInt(v.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    private void Ensure(int n)
    {
        if (_len + n <= _buf.Length) return;
        Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + n));
    }
}
