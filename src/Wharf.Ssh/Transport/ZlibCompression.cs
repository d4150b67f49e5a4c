using Org.BouncyCastle.Utilities.Zlib;

namespace Wharf.Ssh.Transport;

/// <summary>
/// zlib@openssh.com for one direction (SSH-NOTES §2.10): one zlib stream per key epoch, flushed at every
/// packet as OpenSSH does (deflate with Z_PARTIAL_FLUSH, inflate with Z_SYNC_FLUSH). BouncyCastle's ZStream
/// is used because it exposes zlib's own streaming API; .NET's ZLibStream cannot be fed packet by packet
/// for inflation. Buffers are kept and grown, never reallocated per packet once large enough.
/// </summary>
internal sealed class ZlibCompression : IDisposable
{
    private readonly ZStream _z = new();
    private readonly bool _deflate;
    private readonly int _maxInflated;
    private byte[] _in = new byte[4096];
    private byte[] _out = new byte[8192];

    private ZlibCompression(bool deflate, int maxInflated)
    {
        _deflate = deflate;
        _maxInflated = maxInflated;
        var status = deflate ? _z.deflateInit(JZlib.Z_DEFAULT_COMPRESSION) : _z.inflateInit();
        if (status != JZlib.Z_OK) throw new InvalidOperationException("zlib initialisation failed");
    }

    public static ZlibCompression CreateDeflater() => new(true, 0);

    /// <summary>An inflater that refuses any packet inflating beyond <paramref name="maxInflated"/> bytes (zlib bombs).</summary>
    public static ZlibCompression CreateInflater(int maxInflated) => new(false, maxInflated);

    /// <summary>Compresses or decompresses one packet's payload; the result lives until the next call.</summary>
    public ReadOnlyMemory<byte> Process(ReadOnlySpan<byte> input)
    {
        if (_in.Length < input.Length) _in = new byte[Math.Max(input.Length, _in.Length * 2)];
        input.CopyTo(_in);
        _z.next_in = _in;
        _z.next_in_index = 0;
        _z.avail_in = input.Length;
        var produced = 0;
        while (true)
        {
            if (_out.Length - produced < 1024)
            {
                if (!_deflate && _out.Length >= _maxInflated + 1024)
                    throw new SshProtocolException(SshDisconnectReason.CompressionError, "decompressed packet too large");
                Array.Resize(ref _out, _out.Length * 2);
            }
            _z.next_out = _out;
            _z.next_out_index = produced;
            _z.avail_out = _out.Length - produced;
            var status = _deflate ? _z.deflate(JZlib.Z_PARTIAL_FLUSH) : _z.inflate(JZlib.Z_SYNC_FLUSH);
            produced = _z.next_out_index;
            if (!_deflate && produced > _maxInflated)
                throw new SshProtocolException(SshDisconnectReason.CompressionError, "decompressed packet too large");
            if (status is not (JZlib.Z_OK or JZlib.Z_BUF_ERROR))
                throw new SshProtocolException(SshDisconnectReason.CompressionError, _deflate ? "compression failed" : "invalid compressed data");
            // Done when all input is taken and zlib did not fill the output (it has nothing more to give).
            if (_z.avail_in == 0 && _z.avail_out > 0) break;
            if (status == JZlib.Z_BUF_ERROR && _z.avail_out > 0) break;
        }
        return _out.AsMemory(0, produced);
    }

    public void Dispose()
    {
        if (_deflate) _z.deflateEnd();
        else _z.inflateEnd();
        _z.free();
    }
}
