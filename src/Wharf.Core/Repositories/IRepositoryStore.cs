using Wharf.Core.Access;

namespace Wharf.Core.Repositories;

/// <summary>Persistence of repositories and their user grants; implemented by Wharf.Data for each database provider.</summary>
public interface IRepositoryStore
{
    /// <summary>Finds a repository by owner and name, both compared without regard to case.</summary>
    Task<RepositoryInfo?> FindAsync(string ownerName, string name, CancellationToken cancellationToken);

    /// <summary>The repositories the user owns, or holds a grant on, or that are public; by owner then name.</summary>
    Task<IReadOnlyList<RepositoryInfo>> ListVisibleAsync(long userId, bool includeAll, CancellationToken cancellationToken);

    /// <summary>The repositories one owner has; the caller filters them through the access policy.</summary>
    Task<IReadOnlyList<RepositoryInfo>> ListByOwnerAsync(long ownerId, CancellationToken cancellationToken);

    /// <summary>The repositories other owners granted the user access to (the dashboard's "shared with you"); by owner then name.</summary>
    Task<IReadOnlyList<RepositoryInfo>> ListSharedWithAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Stores a new repository. Throws <see cref="Errors.WharfException"/> (AlreadyExists) when the owner already has that name.</summary>
    Task AddAsync(Repository repository, CancellationToken cancellationToken);

    /// <summary>Removes the record with its grants and access-key links. Returns false when it was already gone.</summary>
    Task<bool> RemoveAsync(long repositoryId, CancellationToken cancellationToken);

    Task MarkPushedAsync(long repositoryId, DateTimeOffset when, CancellationToken cancellationToken);

    /// <summary>Turns "Require signed commits" on or off.</summary>
    Task SetRequireSignedCommitsAsync(long repositoryId, bool required, CancellationToken cancellationToken);

    Task<AccessLevel?> FindGrantAsync(long repositoryId, long userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<GrantInfo>> ListGrantsAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Creates or changes a user's grant. Returns true when it was created.</summary>
    Task<bool> SetGrantAsync(long repositoryId, long userId, AccessLevel level, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Returns false when the user had no grant.</summary>
    Task<bool> RemoveGrantAsync(long repositoryId, long userId, CancellationToken cancellationToken);
}
