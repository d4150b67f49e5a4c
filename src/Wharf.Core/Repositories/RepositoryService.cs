using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Users;

namespace Wharf.Core.Repositories;

public sealed class RepositoryService(IRepositoryStore repositories, IUserStore users, WharfPaths paths, GitBinary git, TimeProvider time)
{
    /// <summary>
    /// Creates the bare repository on disk and records it. The directory is built in a staging folder and
    /// moved into place in one rename, so a failure never leaves a half-initialised repository at the real
    /// path; if recording fails, the directory is removed again.
    /// </summary>
    public async Task<RepositoryInfo> CreateAsync(RepositoryName name, CancellationToken cancellationToken)
    {
        var owner = await users.FindByNameAsync(name.Owner, cancellationToken) ?? throw UserService.UserNotFound(name.Owner);
        if (await repositories.FindAsync(owner.Name, name.Name, cancellationToken) is not null)
            throw AlreadyExists(owner.Name, name.Name);

        var target = paths.Repository(owner.Name, name.Name);
        if (Directory.Exists(target))
            throw WharfException.AlreadyExists($"Repository '{owner.Name}/{name.Name}' has no record but its directory exists at {target}; move that directory away first.");

        Directory.CreateDirectory(paths.RepositoriesStaging);
        var staging = Path.Combine(paths.RepositoriesStaging, Guid.NewGuid().ToString("N") + ".git");
        try
        {
            await git.InitBareAsync(staging, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }

        var repository = new Repository
        {
            OwnerId = owner.Id,
            Name = name.Name,
            LowerName = Names.Lower(name.Name),
            Path = target,
            CreatedAt = time.GetUtcNow(),
        };
        try
        {
            await repositories.AddAsync(repository, CancellationToken.None);
        }
        catch
        {
            TryDelete(target);
            throw;
        }
        return new RepositoryInfo(repository.Id, owner.Id, owner.Name, repository.Name, target);
    }

    public static WharfException AlreadyExists(string owner, string name) =>
        WharfException.AlreadyExists($"Repository '{owner}/{name}' already exists.");

    private static void TryDelete(string directory)
    {
        // Best effort on a path that is already failing; the original exception is the one to report.
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
