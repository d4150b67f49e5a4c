using System.Text;
using System.Text.RegularExpressions;
using Wharf.Core.Hg;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

/// <summary>
/// <see cref="ICodeBrowser"/> for Mercurial repositories, reading through the <c>hg</c> command. Split by concern:
/// refs and resolution in HgCodeBrowser.Refs.cs, trees and files in HgCodeBrowser.Tree.cs, history in
/// HgCodeBrowser.History.cs, diffs in HgCodeBrowser.Diff.cs.
/// <para>
/// How a repository is read safely: every process gets <see cref="HgBinary.StartInfo"/>'s environment (no user or
/// system configuration, <c>HGPLAIN=1</c>) and <c>HGRCSKIPREPO=1</c>, so not even the repository's own
/// <c>.hg/hgrc</c> is read and no hook or extension configured anywhere can run. Nothing a user typed reaches hg
/// as an option or as revset text: a revision is resolved to a full changeset hash first (by exact match against
/// the repository's branches, bookmarks and tags, or as a hexadecimal prefix) and only that hash is written into a
/// revset, as <c>id(HASH)</c>; a path goes after <c>--</c> as a <c>path:</c> pattern, or into a revset string as
/// <c>\xNN</c> escapes. Every process is killed after <see cref="BrowseLimits.Timeout"/>.
/// </para>
/// </summary>
public sealed partial class HgCodeBrowser(HgBinary hg, BrowseLimits limits) : ICodeBrowser
{
    public Scm Scm => Scm.Hg;

    private HgBinary Hg => hg;
    private BrowseLimits Limits => limits;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private const string NullNode = "0000000000000000000000000000000000000000";
    private const string WorkingDirectoryNode = "ffffffffffffffffffffffffffffffffffffffff";

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex FullNode();

    [GeneratedRegex("^[0-9a-fA-F]{4,40}$")]
    private static partial Regex HexPrefix();

    /// <summary>What one hg process gave: the reader's result, its exit status and (the start of) its error output.</summary>
    private sealed record HgRun<T>(T Value, int ExitCode, string Stderr);

    /// <summary>
    /// Runs <c>hg -R REPOSITORY ARGS</c>, handing its standard output to <paramref name="read"/>. When the reader stops
    /// before the end of the output (it reached a cap) the process is killed; when the process outlives
    /// <see cref="BrowseLimits.Timeout"/> it is killed and <see cref="BrowseErrors.TooSlow"/> thrown (the pages' "Too slow" answer, the API's 503 with code <c>browse-timeout</c>), as the git browser does.
    /// </summary>
    private Task<HgRun<T>> RunAsync<T>(RepositoryInfo repository, IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var psi = Hg.StartInfo(["-R", repository.Path, "-y", .. arguments]);
        psi.Environment["HGRCSKIPREPO"] = "1";
        return BrowseProcess.RunAsync(() => Hg.Start(psi), Limits.Timeout, async (process, timeout) =>
        {
            process.StandardInput.Close();
            await using var kill = timeout.Register(() => BrowseProcess.Kill(process));
            var stderr = ReadCappedTextAsync(process.StandardError.BaseStream, 8192);
            var stdout = new EndWatchingStream(process.StandardOutput.BaseStream);
            T value;
            try
            {
                value = await read(stdout, timeout);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException && timeout.IsCancellationRequested)
            {
                value = default!;
            }
            // A reader that stopped before the end (at a cap) wants no more: hg is stopped rather than left writing.
            if (!stdout.AtEnd) BrowseProcess.Kill(process);
            try
            {
                await process.WaitForExitAsync(timeout);
            }
            catch (OperationCanceledException)
            {
                BrowseProcess.Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }
            // Out of time (or the caller gave up) while hg ran: the runner makes that "Too slow" (or the caller's cancellation).
            timeout.ThrowIfCancellationRequested();
            return new HgRun<T>(value, process.ExitCode, await stderr);
        }, cancellationToken);
    }

    /// <summary>hg's output as the readers see it, noting whether they read it to its end.</summary>
    private sealed class EndWatchingStream(Stream inner) : ReadOnlyStream
    {
        public bool AtEnd { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            if (n == 0 && buffer.Length > 0) AtEnd = true;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            if (n == 0 && count > 0) AtEnd = true;
            return n;
        }

    }

    /// <summary>Runs hg and keeps at most <paramref name="maxBytes"/> of its output (Truncated says when there was more).</summary>
    private Task<HgRun<(byte[] Bytes, bool Truncated)>> RunBytesAsync(RepositoryInfo repository, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken, long maxBytes = 16 * 1024 * 1024) =>
        RunAsync(repository, arguments, (s, ct) => ReadCappedAsync(s, maxBytes, ct), cancellationToken);

    private static async Task<(byte[] Bytes, bool Truncated)> ReadCappedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[65536];
        while (true)
        {
            var n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0) return (buffer.ToArray(), false);
            var keep = (int)Math.Min(n, maxBytes - buffer.Length);
            buffer.Write(chunk, 0, keep);
            if (keep < n) return (buffer.ToArray(), true);
        }
    }

    private static async Task<string> ReadCappedTextAsync(Stream stream, int maxBytes)
    {
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(chunk)) > 0)
                if (buffer.Length < maxBytes) buffer.Write(chunk, 0, (int)Math.Min(n, maxBytes - buffer.Length));
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>hg's output text (UTF-8, as HGENCODING asks), with replacement characters for bytes that are not.</summary>
    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>A name's bytes as text, and whether they were valid UTF-8.</summary>
    private static (string Text, bool Valid) Name(ReadOnlySpan<byte> bytes)
    {
        try { return (StrictUtf8.GetString(bytes), true); }
        catch (DecoderFallbackException) { return (Encoding.UTF8.GetString(bytes), false); }
    }

    /// <summary>The revset naming exactly one changeset by its full hash.</summary>
    private static string Id(string node) => $"id({node})";

    /// <summary>
    /// A repository-relative path as a URL carries it, checked: null for one hg could not hold or that would step
    /// outside the repository (absolute, "." or ".." segments, empty segments, NUL, CR or LF). "" is the root; one
    /// trailing '/' is allowed.
    /// </summary>
    internal static string? CleanPath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "";
        if (path.EndsWith('/')) path = path[..^1];
        if (path.Length == 0 || path.StartsWith('/') || path.AsSpan().IndexOfAny('\0', '\n', '\r') >= 0) return null;
        foreach (var segment in path.Split('/'))
            if (segment is "" or "." or "..") return null;
        return path;
    }

    /// <summary>A path as a <c>path:</c> pattern (exact, relative to the root, never a glob or an option).</summary>
    private static string PathPattern(string path) => "path:" + path;

    /// <summary>A path inside a single-quoted revset string, every byte escaped, so no text of it is revset syntax.</summary>
    private static string RevsetString(string text)
    {
        var quoted = new StringBuilder("'");
        foreach (var b in Encoding.UTF8.GetBytes(text)) quoted.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return quoted.Append('\'').ToString();
    }

    /// <summary>Splits output into records at every <paramref name="separator"/> byte (a final record without one is kept).</summary>
    private static List<byte[]> Records(byte[] output, byte separator)
    {
        var records = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] != separator) continue;
            records.Add(output[start..i]);
            start = i + 1;
        }
        if (start < output.Length) records.Add(output[start..]);
        return records;
    }

    private delegate void RecordHandler(ReadOnlySpan<byte> record);

    /// <summary>
    /// Hands each record of a stream (ended by <paramref name="separator"/>, or by the end of the stream) to
    /// <paramref name="handle"/> without holding more than one record; a record longer than
    /// <paramref name="maxRecord"/> bytes is cut there.
    /// </summary>
    private static async Task<bool> ReadRecordsAsync(Stream stream, byte separator, int maxRecord, RecordHandler handle, CancellationToken cancellationToken)
    {
        var chunk = new byte[65536];
        using var record = new MemoryStream();
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            Split(chunk.AsSpan(0, n), separator, maxRecord, record, handle);
        if (record.Length > 0) handle(record.GetBuffer().AsSpan(0, (int)record.Length));
        return true;
    }

    private static void Split(ReadOnlySpan<byte> span, byte separator, int maxRecord, MemoryStream record, RecordHandler handle)
    {
        int i;
        while ((i = span.IndexOf(separator)) >= 0)
        {
            if (record.Length == 0) handle(span[..Math.Min(i, maxRecord)]);
            else
            {
                Append(record, span[..i], maxRecord);
                handle(record.GetBuffer().AsSpan(0, (int)record.Length));
                record.SetLength(0);
            }
            span = span[(i + 1)..];
        }
        Append(record, span, maxRecord);
    }

    private static void Append(MemoryStream record, ReadOnlySpan<byte> bytes, int maxRecord) =>
        record.Write(bytes[..(int)Math.Min(bytes.Length, Math.Max(0, maxRecord - record.Length))]);
}
