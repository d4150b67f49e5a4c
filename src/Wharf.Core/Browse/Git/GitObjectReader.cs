using System.Diagnostics;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Core.Browse.Git;

/// <summary>The header git gives for an object: its full id, type (<c>blob</c>, <c>tree</c>, <c>commit</c>, <c>tag</c>) and size in bytes.</summary>
public sealed record GitObjectInfo(string Id, string Type, long Size);

/// <summary>One entry of a tree object as stored: its mode, its name's raw bytes and the object it points at.</summary>
public sealed record GitTreeItem(string Mode, byte[] NameBytes, string Id)
{
    public bool IsTree => Mode == "40000";
    public bool IsSymlink => Mode == "120000";
    public bool IsSubmodule => Mode == "160000";
    public bool IsBlob => Mode is "100644" or "100755" or "100664" or "120000";
}

/// <summary>
/// One long-lived <c>git cat-file --batch-command --buffer</c> process on one repository: every object a page needs is
/// read through it (by object id only: ids are hex, so no name, newline or revision syntax ever reaches git's command
/// line), instead of one process per object. Contents are streamed: a caller says how much it wants in memory, and the
/// rest of an object is skipped or copied without being held. Each use (a lease, from <see cref="GitReaderPool.Rent"/>) is bounded by <see cref="BrowseLimits.Timeout"/>: when it passes, the process is
/// killed and the read fails with <see cref="BrowseErrors.TooSlow"/>. Disposing a lease hands a healthy pooled reader
/// back to its pool; a reader that failed, timed out or was cancelled mid-read is never reused.
/// </summary>
public sealed class GitObjectReader : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly Process _process;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly Task _stderr;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;
    // The current lease: its deadline, the caller's token, and the registration that kills git at the deadline.
    private CancellationTokenSource _deadline = null!;
    private CancellationToken _caller;
    private CancellationTokenRegistration _kill;
    private TimeSpan _timeout;
    private long _leasedAt;
    private bool _broken;
    private GitReaderPool? _pool;
    private readonly (long, string) _poolKey;

    private GitObjectReader(Process process, GitReaderPool? pool, (long, string) poolKey)
    {
        _process = process;
        _pool = pool;
        _poolKey = poolKey;
        _input = process.StandardInput.BaseStream;
        _output = process.StandardOutput.BaseStream;
        // git's stderr is drained (and dropped) so a noisy repository cannot block it on a full pipe.
        _stderr = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
    }

    /// <summary>Starts a reader on the bare repository at <paramref name="repository"/>; <paramref name="pool"/> takes it back after each lease.</summary>
    internal static GitObjectReader Launch(GitBinary git, string repository, GitReaderPool? pool, (long, string) poolKey)
    {
        // --no-replace-objects: a kept reader would otherwise go on using the replacements it read at its start.
        var psi = git.StartInfo("--git-dir", repository, "--no-replace-objects", "cat-file", "--batch-command", "--buffer");
        return new GitObjectReader(git.Start(psi), pool, poolKey);
    }

    /// <summary>Whether the process is still there to take another lease.</summary>
    internal bool Alive => !_broken && !_process.HasExited;

    /// <summary>Arms the reader for one use: <paramref name="timeout"/> from now, or the caller's cancellation.</summary>
    internal GitObjectReader Lease(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _timeout = timeout;
        _leasedAt = Stopwatch.GetTimestamp();
        _caller = cancellationToken;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan) _deadline.CancelAfter(timeout);
        _kill = _deadline.Token.Register(static p => Kill((Process)p!), _process);
        return this;
    }

    /// <summary>The token that fires at the caller's cancellation or at the deadline; for other work of the same request.</summary>
    public CancellationToken Token => _deadline.Token;

    /// <summary>The object's header, or null when the repository has no such object.</summary>
    public async Task<GitObjectInfo?> InfoAsync(string id) => (await InfoAsync([id]))[0];

    /// <summary>Headers for many objects in one round trip; null for each missing one.</summary>
    public Task<IReadOnlyList<GitObjectInfo?>> InfoAsync(IReadOnlyList<string> ids) => GuardAsync(async () =>
    {
        var results = new List<GitObjectInfo?>(ids.Count);
        // Written and read in slices, so neither pipe can fill while the other side waits.
        for (var offset = 0; offset < ids.Count; offset += 512)
        {
            var slice = ids.Skip(offset).Take(512).ToList();
            var request = new StringBuilder();
            foreach (var id in slice) request.Append("info ").Append(CheckId(id)).Append('\n');
            await SendAsync(request.Append("flush\n").ToString());
            foreach (var _ in slice) results.Add(await ReadHeaderAsync());
        }
        return (IReadOnlyList<GitObjectInfo?>)results;
    });

    /// <summary>
    /// The object's header and, when it has at most <paramref name="maxBytes"/> bytes, its content; a larger object's
    /// content is skipped without being held (Content is then null). Null when the object is missing.
    /// </summary>
    public Task<(GitObjectInfo Info, byte[]? Content)?> ReadAsync(string id, long maxBytes) => GuardAsync(async () =>
    {
        await SendAsync("contents " + CheckId(id) + "\nflush\n");
        if (await ReadHeaderAsync() is not { } info) return ((GitObjectInfo, byte[]?)?)null;
        byte[]? content = null;
        if (info.Size <= maxBytes)
        {
            content = new byte[info.Size];
            await ReadExactAsync(content);
        }
        else await SkipAsync(info.Size);
        await SkipAsync(1); // the line feed after the content
        return (info, content);
    });

    /// <summary>Copies the object's content into <paramref name="destination"/> in pieces; null when it is missing.</summary>
    public Task<GitObjectInfo?> CopyAsync(string id, Stream destination, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await SendAsync("contents " + CheckId(id) + "\nflush\n");
        if (await ReadHeaderAsync() is not { } info) return null;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(Token, cancellationToken);
        var left = info.Size;
        while (left > 0)
        {
            if (_start == _end) await FillAsync();
            var n = (int)Math.Min(left, _end - _start);
            await destination.WriteAsync(_buffer.AsMemory(_start, n), both.Token);
            _start += n;
            left -= n;
        }
        await SkipAsync(1);
        return info;
    });

    /// <summary>
    /// Reads a tree, handing each entry to <paramref name="visit"/> in git's order until it answers false; the rest of
    /// the tree is then skipped, or counted when <paramref name="countRest"/>. Returns the number of entries not
    /// visited (counted ones only), or null when <paramref name="id"/> is not a tree. Small trees are kept by id in the
    /// pool's <see cref="GitObjectCache"/> (an id always names the same tree), so walking a path again reads nothing.
    /// </summary>
    public async Task<int?> ReadTreeAsync(string id, Func<GitTreeItem, bool> visit, bool countRest = false)
    {
        var cache = _pool?.Objects;
        if (cache is not null && cache.Trees.TryGet((_poolKey, id), out var kept)) return Visit(kept, visit, countRest);
        List<GitTreeItem>? all = null;
        var rest = await ReadTreeAsync(id, (item, size) =>
        {
            // A small tree is read whole (to keep it) and then visited; a large one is visited as it streams.
            if (cache is not null && size <= GitObjectCache.MaxTreeBytes)
            {
                (all ??= []).Add(item);
                return true;
            }
            return visit(item);
        }, countRest);
        if (rest is null) return null;
        if (all is null) return rest;
        var items = all.ToArray();
        cache!.Trees.Add((_poolKey, id), items);
        return Visit(items, visit, countRest);
    }

    /// <summary>The root tree id of a commit (its first header line, gitformat-commit), kept by commit id; null when it is not a commit.</summary>
    public async Task<string?> CommitTreeAsync(string commit)
    {
        var cache = _pool?.Objects;
        if (cache is not null && cache.CommitTrees.TryGet((_poolKey, commit), out var kept)) return kept;
        if (await ReadAsync(commit, 1024 * 1024) is not { Info.Type: "commit", Content: { } content }) return null;
        var text = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 80));
        if (!text.StartsWith("tree ", StringComparison.Ordinal)) return null;
        var tree = text[5..].Split('\n')[0];
        cache?.CommitTrees.Add((_poolKey, commit), tree);
        return tree;
    }

    private static int Visit(GitTreeItem[] items, Func<GitTreeItem, bool> visit, bool countRest)
    {
        for (var i = 0; i < items.Length; i++)
            if (!visit(items[i])) return countRest ? items.Length - i - 1 : 0;
        return 0;
    }

    private Task<int?> ReadTreeAsync(string id, Func<GitTreeItem, long, bool> visit, bool countRest) => GuardAsync(async () =>
    {
        await SendAsync("contents " + CheckId(id) + "\nflush\n");
        if (await ReadHeaderAsync() is not { } info) return null;
        if (info.Type != "tree")
        {
            await SkipAsync(info.Size + 1);
            return (int?)null;
        }
        var rawIdLength = info.Id.Length / 2;
        var left = info.Size;
        var visiting = true;
        var rest = 0;
        var raw = new byte[rawIdLength];
        while (left > 0)
        {
            if (!visiting && !countRest)
            {
                await SkipAsync(left);
                left = 0;
                break;
            }
            var mode = await ReadUntilAsync((byte)' ', 16, left);
            left -= mode.Length + 1;
            var name = await ReadUntilAsync(0, 64 * 1024, left);
            left -= name.Length + 1;
            if (left < rawIdLength) throw new InvalidDataException($"tree {info.Id} is truncated");
            await ReadExactAsync(raw);
            left -= rawIdLength;
            if (visiting) visiting = visit(new GitTreeItem(Encoding.ASCII.GetString(mode), name, Convert.ToHexStringLower(raw)), info.Size);
            else rest++;
        }
        await SkipAsync(1);
        return rest;
    });

    private async Task<T> GuardAsync<T>(Func<Task<T>> read)
    {
        // The timer that kills git may fire late on a busy machine: a read that starts past the deadline is refused here.
        if (_timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(_leasedAt) >= _timeout && !_caller.IsCancellationRequested)
        {
            _broken = true;
            throw BrowseErrors.TooSlow(_timeout);
        }
        try { return await read(); }
        catch (Exception e)
        {
            // Whatever failed, the pipe may hold half an answer: this process is not used again.
            _broken = true;
            if (e is OperationCanceledException or IOException or ObjectDisposedException
                && _deadline.IsCancellationRequested && !_caller.IsCancellationRequested)
                throw BrowseErrors.TooSlow(_timeout);
            throw;
        }
    }

    private static string CheckId(string id) =>
        id.Length is >= 4 and <= 64 && id.All(char.IsAsciiHexDigitLower) ? id : throw new ArgumentException($"'{id}' is not an object id.", nameof(id));

    private async Task SendAsync(string request)
    {
        await _input.WriteAsync(Encoding.ASCII.GetBytes(request), Token);
        await _input.FlushAsync(Token);
    }

    private async Task<GitObjectInfo?> ReadHeaderAsync()
    {
        var line = Encoding.UTF8.GetString(await ReadUntilAsync((byte)'\n', 1024, long.MaxValue));
        var fields = line.Split(' ');
        // "<id> missing" or "<id> ambiguous" for objects git cannot name.
        if (fields.Length == 3 && long.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size))
            return new GitObjectInfo(fields[0], fields[1], size);
        return null;
    }

    private async Task FillAsync()
    {
        if (_start == _end) _start = _end = 0;
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var n = await _output.ReadAsync(_buffer.AsMemory(_end), Token);
        if (n == 0) throw new IOException("git cat-file ended early");
        _end += n;
    }

    private async Task<byte[]> ReadUntilAsync(byte terminator, int max, long available)
    {
        var scanned = 0;
        while (true)
        {
            var at = Array.IndexOf(_buffer, terminator, _start + scanned, _end - _start - scanned);
            if (at >= 0)
            {
                var bytes = _buffer.AsSpan(_start, at - _start).ToArray();
                _start = at + 1;
                return bytes;
            }
            scanned = _end - _start;
            if (scanned >= max || scanned >= available) throw new InvalidDataException("git cat-file answered with an over-long field");
            await FillAsync();
        }
    }

    private async Task ReadExactAsync(Memory<byte> into)
    {
        while (into.Length > 0)
        {
            if (_start == _end) await FillAsync();
            var n = Math.Min(into.Length, _end - _start);
            _buffer.AsMemory(_start, n).CopyTo(into);
            _start += n;
            into = into[n..];
        }
    }

    private async Task SkipAsync(long count)
    {
        while (count > 0)
        {
            if (_start == _end) await FillAsync();
            var n = (int)Math.Min(count, _end - _start);
            _start += n;
            count -= n;
        }
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
    }

    /// <summary>Ends the lease: a healthy pooled reader goes back to its pool, anything else is closed.</summary>
    public async ValueTask DisposeAsync()
    {
        // After this the kill callback has either run or never will, so the checks below cannot race with it.
        await _kill.DisposeAsync();
        var timedOut = _deadline.IsCancellationRequested;
        _deadline.Dispose();
        if (_pool is { } pool && !timedOut && Alive && _start == _end && pool.Return(this, _poolKey)) return;
        await CloseAsync();
    }

    /// <summary>Closes git's input (it then ends by itself) and waits briefly, killing it if it does not.</summary>
    internal async Task CloseAsync()
    {
        _pool = null;
        try { _input.Close(); }
        catch (IOException) { /* git already ended */ }
        if (!_process.HasExited)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { Kill(_process); }
        }
        try { await _stderr; }
        catch (IOException) { /* killed */ }
        _process.Dispose();
    }
}
