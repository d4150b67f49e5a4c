using Org.BouncyCastle.Utilities.Zlib;

namespace Wharf.Ssh.Transport;

/// <summary>
/// zlib@openssh.com for one direction (docs/SSH-INTEROP.md §12): one zlib stream per key epoch, flushed at every
/// packet as OpenSSH does (deflate with Z_PARTIAL_FLUSH, inflate with Z_SYNC_FLUSH). BouncyCastle's ZStream
/// is used because it exposes zlib's own streaming API; .NET's ZLibStream cannot be fed packet by packet
/// for inflation. Buffers are kept and grown, never reallocated per packet once large enough.
/// </summary>
internal sealed class ZlibCompression : IDisposable
{
    // Started at the first packet, not at negotiation: compression turns on at login, and a logged-in
    // connection that then sends nothing (held open by a client, or `ssh -N`) would otherwise carry zlib's
    // state for nothing, about 300 KiB for the deflater (window, hash chains) and 40 KiB for the inflater.
    private ZStream? _z;
    private readonly bool _deflate;
    private readonly int _maxInflated;
    private byte[] _in = [];
    private byte[] _out = [];

    private ZlibCompression(bool deflate, int maxInflated)
    {
        _deflate = deflate;
        _maxInflated = maxInflated;
    }

    private ZStream Start()
    {
        var z = new ZStream();
        var status = _deflate ? z.deflateInit(JZlib.Z_DEFAULT_COMPRESSION) : z.inflateInit();
        if (status != JZlib.Z_OK) throw new InvalidOperationException("zlib initialisation failed");
        _in = new byte[4096];
        _out = new byte[8192];
        return z;
    }

    public static ZlibCompression CreateDeflater() => new(true, 0);

    /// <summary>An inflater that refuses any packet inflating beyond <paramref name="maxInflated"/> bytes (zlib bombs).</summary>
    public static ZlibCompression CreateInflater(int maxInflated) => new(false, maxInflated);

    /// <summary>Compresses or decompresses one packet's payload; the result lives until the next call.</summary>
    public ReadOnlyMemory<byte> Process(ReadOnlySpan<byte> input)
    {
        var z = _z ??= Start();
        if (_in.Length < input.Length) _in = new byte[Math.Max(input.Length, _in.Length * 2)];
        input.CopyTo(_in);
        z.next_in = _in;
        z.next_in_index = 0;
        z.avail_in = input.Length;
        var produced = 0;
        while (true)
        {
            if (_out.Length - produced < 1024)
            {
                if (!_deflate && _out.Length >= _maxInflated + 1024)
                    throw new SshProtocolException(SshDisconnectReason.CompressionError, "decompressed packet too large");
                Array.Resize(ref _out, _out.Length * 2);
            }
            z.next_out = _out;
            z.next_out_index = produced;
            z.avail_out = _out.Length - produced;
            var status = _deflate ? z.deflate(JZlib.Z_PARTIAL_FLUSH) : z.inflate(JZlib.Z_SYNC_FLUSH);
            produced = z.next_out_index;
            if (!_deflate && produced > _maxInflated)
                throw new SshProtocolException(SshDisconnectReason.CompressionError, "decompressed packet too large");
            if (status is not (JZlib.Z_OK or JZlib.Z_BUF_ERROR))
                throw new SshProtocolException(SshDisconnectReason.CompressionError, _deflate ? "compression failed" : "invalid compressed data");
            // Done when all input is taken and zlib did not fill the output (it has nothing more to give).
            if (z.avail_in == 0 && z.avail_out > 0) break;
            if (status == JZlib.Z_BUF_ERROR && z.avail_out > 0) break;
        }
        return _out.AsMemory(0, produced);
    }

    public void Dispose()
    {
        if (_z is null) return;
        if (_deflate) _z.deflateEnd();
        else _z.inflateEnd();
        _z.free();
    }
}
