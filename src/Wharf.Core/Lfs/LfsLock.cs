namespace Wharf.Core.Lfs;

/// <summary>A Git LFS file lock (git-lfs docs/api/locking.md): one path of one repository, held by one account. Invariant: (RepositoryId, Path) is unique.</summary>
public sealed class LfsLock
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    /// <summary>The path as the client sent it, relative to the repository's root.</summary>
    public required string Path { get; set; }
    public long OwnerId { get; set; }
    public DateTimeOffset LockedAt { get; set; }
}

/// <summary>The locks table.</summary>
public interface ILfsLockStore
{
    /// <summary>Creates the lock, or returns the one that already holds the path (Created false).</summary>
    Task<(LfsLockView Lock, bool Created)> CreateAsync(long repositoryId, string path, long ownerId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Locks in id order after <paramref name="afterId"/>, at most <paramref name="limit"/>, optionally only one path or one id.</summary>
    Task<IReadOnlyList<LfsLockView>> ListAsync(long repositoryId, string? path, long? id, long afterId, int limit, CancellationToken cancellationToken);

    Task<LfsLockView?> FindAsync(long repositoryId, long id, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(long repositoryId, long id, CancellationToken cancellationToken);
}
