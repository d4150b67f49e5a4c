using System.Collections.Concurrent;
using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

/// <summary>
/// Idle <c>git cat-file --batch-command</c> readers kept per repository between requests, so a page reads its objects
/// without starting a process. Bounded: at most <see cref="IdlePerRepository"/> idle readers per repository and
/// <see cref="MaxIdle"/> in all (a reader handed back past either bound is closed), and an idle reader is closed after
/// <see cref="IdleExpiry"/>. Busy readers are not counted: a burst of requests starts extra readers and closes them
/// afterwards.
///
/// Why a kept reader is never stale: it is only asked for objects by id, and git looks again at the object directory
/// (new loose objects and new packs) whenever an id is not found, so objects pushed after it started are found; an
/// object id always names the same content. Refs are never resolved through it (they are read per request). The key
/// holds the repository's database id as well as its path, so a repository deleted and created again under the same
/// name never gets a reader that still holds the old one's packs open.
/// </summary>
public sealed class GitReaderPool : IDisposable
{
    public const int IdlePerRepository = 2;
    public const int MaxIdle = 16;
    public static readonly TimeSpan IdleExpiry = TimeSpan.FromSeconds(30);

    private readonly GitBinary _git;

    /// <summary>Small trees and commits' root trees, by repository and object id, shared by this pool's readers.</summary>
    internal GitObjectCache Objects { get; } = new();
    private readonly ConcurrentDictionary<(long Id, string Path), ConcurrentStack<(GitObjectReader Reader, long Since)>> _idle = new();
    private readonly Timer _sweep;
    private int _count;
    private bool _disposed;

    public GitReaderPool(GitBinary git)
    {
        _git = git;
        _sweep = new Timer(_ => Sweep(expiredOnly: true), null, IdleExpiry, IdleExpiry);
    }

    /// <summary>Idle readers right now (for tests and diagnostics).</summary>
    public int IdleCount => Volatile.Read(ref _count);

    /// <summary>A reader on the repository for one use within <paramref name="timeout"/>: an idle one when there is one, else a new one.</summary>
    public GitObjectReader Rent(RepositoryInfo repository, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var key = (repository.Id, repository.Path);
        if (_idle.TryGetValue(key, out var stack))
        {
            while (stack.TryPop(out var idle))
            {
                Interlocked.Decrement(ref _count);
                if (idle.Reader.Alive) return idle.Reader.Lease(timeout, cancellationToken);
                _ = idle.Reader.CloseAsync();
            }
        }
        return GitObjectReader.Launch(_git, repository.Path, this, key).Lease(timeout, cancellationToken);
    }

    /// <summary>Takes a reader back after a clean lease; false when a bound is reached (the caller then closes it).</summary>
    internal bool Return(GitObjectReader reader, (long, string) key)
    {
        if (_disposed) return false;
        var stack = _idle.GetOrAdd(key, _ => new ConcurrentStack<(GitObjectReader, long)>());
        if (stack.Count >= IdlePerRepository) return false;
        if (Interlocked.Increment(ref _count) > MaxIdle)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        stack.Push((reader, Environment.TickCount64));
        return true;
    }

    private void Sweep(bool expiredOnly)
    {
        var now = Environment.TickCount64;
        foreach (var stack in _idle.Values)
        {
            // Taken out whole and the fresh ones put back, so no reader is both kept and closed.
            var all = new List<(GitObjectReader Reader, long Since)>();
            while (stack.TryPop(out var item)) all.Add(item);
            foreach (var item in Enumerable.Reverse(all))
            {
                if (expiredOnly && !_disposed && now - item.Since < IdleExpiry.TotalMilliseconds && item.Reader.Alive) stack.Push(item);
                else
                {
                    Interlocked.Decrement(ref _count);
                    _ = item.Reader.CloseAsync();
                }
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _sweep.Dispose();
        Sweep(expiredOnly: false);
    }
}

/// <summary>
/// What a reader learnt about objects that never change for their id: a commit's root tree, and the entries of small
/// trees. Bounded by count (<see cref="BoundedCache{TKey,TValue}"/>), and only trees of at most
/// <see cref="MaxTreeBytes"/> are kept, so the whole cache stays within a few megabytes.
/// </summary>
internal sealed class GitObjectCache
{
    /// <summary>Largest tree object kept (about 200 entries).</summary>
    public const long MaxTreeBytes = 8 * 1024;

    public BoundedCache<((long, string) Repository, string Id), GitTreeItem[]> Trees { get; } = new(512);
    public BoundedCache<((long, string) Repository, string Id), string> CommitTrees { get; } = new(2048);
}
