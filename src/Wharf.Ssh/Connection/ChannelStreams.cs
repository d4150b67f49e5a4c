using System.Buffers;
using System.IO.Pipelines;

namespace Wharf.Ssh.Connection;

/// <summary>Channel data from the client, as a read-only stream; reads return 0 after CHANNEL_EOF.</summary>
internal sealed class ChannelInputStream(PipeReader reader, SessionChannel channel) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var data = result.Buffer;
        if (data.IsEmpty && result.IsCompleted)
        {
            reader.AdvanceTo(data.End);
            return 0;
        }
        var n = (int)Math.Min(buffer.Length, data.Length);
        data.Slice(0, n).CopyTo(buffer.Span);
        reader.AdvanceTo(data.GetPosition(n));
        // Window credit goes back only for bytes the application has actually consumed (docs/SSH-INTEROP.md §13).
        await channel.OnInputConsumedAsync(n).ConfigureAwait(false);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Channel data to the client (extended type 0 for stdout, 1 for stderr). A write returns once every byte
/// has been handed to the transport, in packets no larger than the peer's maximum and within its window.
/// </summary>
internal sealed class ChannelOutputStream(SessionChannel channel, uint extendedType) : Stream, IBlockingWriteStream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        channel.SendDataAsync(extendedType, buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count), CancellationToken.None);
    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer, CancellationToken.None);
    public void Write(ReadOnlySpan<byte> buffer, CancellationToken cancellationToken) => channel.SendData(extendedType, buffer, cancellationToken);
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// A stream whose blocking write is the cheaper call from a thread that exists to block (the pump of a process's
/// output): it waits for the SSH window and the socket on that thread, with no thread-pool hand-off per window
/// adjust (<see cref="SessionChannel.SendData"/>). Every byte has been handed to the transport when it returns.
/// </summary>
public interface IBlockingWriteStream
{
    /// <summary>Writes all of <paramref name="buffer"/>, blocking the calling thread; ends early only by an exception.</summary>
    void Write(ReadOnlySpan<byte> buffer, CancellationToken cancellationToken);
}
