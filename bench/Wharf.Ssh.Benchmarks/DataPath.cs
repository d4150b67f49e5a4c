using System.Buffers.Binary;

namespace Wharf.Ssh.Benchmarks;

/// <summary>Shape of the steady-state data packet: SSH_MSG_CHANNEL_DATA carrying 32 KiB (OpenSSH's and Wharf's chunk).</summary>
internal static class DataPath
{
    public const int DataSize = 32 * 1024;

    /// <summary>Packets per measured iteration; every benchmark reports per packet.</summary>
    public const int PacketsPerIteration = 1024;

    /// <summary>Packets handled before the measured ones so every buffer has reached its steady size.</summary>
    public const int WarmPackets = 16;

    // byte CHANNEL_DATA, uint32 recipient, string data.
    public const int PayloadLength = 1 + 4 + 4 + DataSize;

    public static readonly byte[] Data = CreateData();

    private static byte[] CreateData()
    {
        var data = new byte[DataSize];
        new Random(42).NextBytes(data);
        return data;
    }

    /// <summary>
    /// A plaintext packet laid out as <see cref="Transport.PacketProtection"/> expects it: uint32 length,
    /// byte padding length, payload, padding; then room for the tag.
    /// </summary>
    public static byte[] PlainPacket(int blockSize, int tagSize, out int packetLength)
    {
        var padding = blockSize - (1 + PayloadLength) % blockSize;
        if (padding < 4) padding += blockSize;
        var length = 1 + PayloadLength + padding;
        packetLength = 4 + length;
        var buffer = new byte[packetLength + tagSize];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)length);
        buffer[4] = (byte)padding;
        buffer[5] = 94; // SSH_MSG_CHANNEL_DATA
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(10), DataSize);
        Data.CopyTo(buffer.AsSpan(14));
        return buffer;
    }
}
