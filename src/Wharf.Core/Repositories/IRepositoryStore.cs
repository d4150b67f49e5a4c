namespace Wharf.Core.Repositories;

/// <summary>Persistence of repositories; implemented by Wharf.Data for each database provider.</summary>
public interface IRepositoryStore
{
    /// <summary>Finds a repository by owner and name, both compared without regard to case.</summary>
    Task<RepositoryInfo?> FindAsync(string ownerName, string name, CancellationToken cancellationToken);

    /// <summary>Stores a new repository. Throws <see cref="Errors.WharfException"/> (AlreadyExists) when the owner already has that name.</summary>
    Task AddAsync(Repository repository, CancellationToken cancellationToken);
}
