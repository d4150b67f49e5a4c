using System.Text;

namespace Wharf.Core.Lfs;

/// <summary>
/// Git's pkt-line framing (git's Documentation/gitprotocol-common.txt): four hexadecimal digits give the length of the
/// packet including themselves; 0000 is a flush packet and 0001 a delimiter. A packet holds at most 65516 bytes of data.
/// </summary>
public sealed class PktLineReader(Stream input)
{
    public const int MaxData = 65516;

    private readonly byte[] header = new byte[4];

    /// <summary>What the last <see cref="ReadAsync"/> found.</summary>
    public enum Kind { Data, Flush, Delimiter, End }

    /// <summary>
    /// Reads one packet into <paramref name="buffer"/> (at least <see cref="MaxData"/> bytes). End means the client
    /// closed its side between packets; a stream cut inside a packet or a malformed length is an <see cref="InvalidDataException"/>.
    /// </summary>
    public async Task<(Kind Kind, int Length)> ReadAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var got = 0;
        while (got < 4)
        {
            var read = await input.ReadAsync(header.AsMemory(got, 4 - got), cancellationToken);
            if (read == 0)
            {
                if (got == 0) return (Kind.End, 0);
                throw new InvalidDataException("The connection ended inside a pkt-line header.");
            }
            got += read;
        }
        var length = 0;
        foreach (var b in header)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => throw new InvalidDataException("Malformed pkt-line length."),
            };
            length = length * 16 + digit;
        }
        if (length == 0) return (Kind.Flush, 0);
        if (length == 1) return (Kind.Delimiter, 0);
        if (length < 4 || length - 4 > MaxData) throw new InvalidDataException($"Unsupported pkt-line length {length}.");
        await input.ReadExactlyAsync(buffer.AsMemory(0, length - 4), cancellationToken);
        return (Kind.Data, length - 4);
    }

    /// <summary>A text packet's content: UTF-8, without its trailing line feed.</summary>
    public static string Text(byte[] buffer, int length)
    {
        if (length > 0 && buffer[length - 1] == '\n') length--;
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}

/// <summary>Writes pkt-lines (<see cref="PktLineReader"/>) into a buffer of its own; <see cref="FlushAsync"/> sends them.</summary>
public sealed class PktLineWriter(Stream output)
{
    private readonly byte[] packet = new byte[4 + PktLineReader.MaxData];

    public Task TextAsync(string line, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        if (bytes.Length > PktLineReader.MaxData) throw new ArgumentException("Line too long for one pkt-line.", nameof(line));
        return DataAsync(bytes, cancellationToken);
    }

    public async Task DataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        WriteHeader(packet, data.Length + 4);
        data.CopyTo(packet.AsMemory(4));
        await output.WriteAsync(packet.AsMemory(0, data.Length + 4), cancellationToken);
    }

    /// <summary>Copies <paramref name="source"/> to the client as data packets, one read at a time (bounded memory).</summary>
    public async Task CopyAsync(Stream source, CancellationToken cancellationToken)
    {
        int read;
        while ((read = await source.ReadAsync(packet.AsMemory(4, PktLineReader.MaxData), cancellationToken)) > 0)
        {
            WriteHeader(packet, read + 4);
            await output.WriteAsync(packet.AsMemory(0, read + 4), cancellationToken);
        }
    }

    public Task FlushPacketAsync(CancellationToken cancellationToken) => output.WriteAsync("0000"u8.ToArray(), cancellationToken).AsTask();

    public Task DelimiterAsync(CancellationToken cancellationToken) => output.WriteAsync("0001"u8.ToArray(), cancellationToken).AsTask();

    public Task SendAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

    private static void WriteHeader(byte[] target, int length)
    {
        const string hex = "0123456789abcdef";
        for (var i = 3; i >= 0; i--, length >>= 4) target[i] = (byte)hex[length & 15];
    }
}

/// <summary>The data packets of one message as a stream, ending at its flush packet (an upload's body).</summary>
public sealed class PktLineDataStream(PktLineReader reader) : ReadOnlyStream
{
    private readonly byte[] packet = new byte[PktLineReader.MaxData];
    private int offset;
    private int length;

    /// <summary>True once the flush packet was read: the message was consumed to its end.</summary>
    public bool Ended { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (offset == length)
        {
            if (Ended) return 0;
            var (kind, read) = await reader.ReadAsync(packet, cancellationToken);
            switch (kind)
            {
                case PktLineReader.Kind.Data: offset = 0; length = read; break;
                case PktLineReader.Kind.Flush: Ended = true; return 0;
                default: throw new InvalidDataException("The object's data ended without a flush packet.");
            }
        }
        var n = Math.Min(buffer.Length, length - offset);
        packet.AsMemory(offset, n).CopyTo(buffer);
        offset += n;
        return n;
    }

    /// <summary>Reads and drops whatever is left up to the flush packet, so the next message can be read.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[PktLineReader.MaxData];
        while (await ReadAsync(scratch, cancellationToken) > 0) { }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
}
