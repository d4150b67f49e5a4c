using System.Text;

namespace Wharf.Server.Ssh;

/// <summary>
/// A push that fails because the repositories' filesystem is full: git and hg say "No space left on device" somewhere in
/// their output (git inside the side band of its protocol, hg on stderr), and Wharf's own writes fail with ENOSPC. Either
/// way the user is told in one plain sentence, after git's or hg's own lines; git and hg have already removed what they
/// wrote (git's quarantine directory, hg's transaction), so the repository is as it was.
/// </summary>
public static class FullDisk
{
    public const string Message =
        "The server has no disk space left, so the push was not stored and the repository is unchanged. Please tell the server's administrator.";

    /// <summary>strerror(ENOSPC) and strerror(EDQUOT) as git and Python print them (Wharf runs them in the server's locale).</summary>
    private static readonly string[] Phrases = ["No space left on device", "Disk quota exceeded"];

    private static readonly byte[][] PhraseBytes = [.. Phrases.Select(Encoding.ASCII.GetBytes)];

    private const int Enospc = 28;

    /// <summary>Whether <paramref name="exception"/> (or one inside it) is a write refused for lack of space.</summary>
    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is IOException && (e.HResult == Enospc || (e.HResult & 0xFFFF) == 0x70 || Phrases.Any(p => e.Message.Contains(p, StringComparison.Ordinal))))
                return true;
        return false;
    }

    /// <summary>Passes everything written on to <paramref name="inner"/>, noting whether a "no space" phrase went by.</summary>
    public sealed class Watch(Stream inner, Watch.Flag seen) : Stream
    {
        /// <summary>Shared by the watches of one push's stdout and stderr.</summary>
        public sealed class Flag
        {
            public bool Seen { get; set; }
        }

        private const int Tail = 32;
        private readonly byte[] _tail = new byte[Tail];
        private int _tailLength;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Scan(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Scan(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Searched as bytes, without copying the write: this stream carries every byte of an hg session, clones included.
        // Only the bytes around the end of the previous write are kept, so a phrase split across writes is still found.
        private void Scan(ReadOnlySpan<byte> data)
        {
            if (seen.Seen || data.IsEmpty) return;
            Span<byte> seam = stackalloc byte[2 * Tail];
            _tail.AsSpan(0, _tailLength).CopyTo(seam);
            var head = data[..Math.Min(Tail, data.Length)];
            head.CopyTo(seam[_tailLength..]);
            seam = seam[..(_tailLength + head.Length)];
            foreach (var phrase in PhraseBytes)
                if (data.IndexOf(phrase) >= 0 || seam.IndexOf(phrase) >= 0)
                {
                    seen.Seen = true;
                    return;
                }
            // The new tail: the last Tail bytes of the previous tail followed by this write.
            var keep = Math.Min(Tail, _tailLength + data.Length);
            var fromData = Math.Min(keep, data.Length);
            var fromTail = keep - fromData;
            _tail.AsSpan(_tailLength - fromTail, fromTail).CopyTo(_tail);
            data[^fromData..].CopyTo(_tail.AsSpan(fromTail));
            _tailLength = keep;
        }
    }
}
