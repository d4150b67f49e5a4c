using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Core.Git;

/// <summary>Turns a parsed git request into the repository to serve, or refuses it.</summary>
public sealed class GitRequestAuthorizer(IRepositoryStore repositories)
{
    public async Task<RepositoryInfo> AuthorizeAsync(long userId, GitCommand command, CancellationToken cancellationToken)
    {
        var repository = await repositories.FindAsync(command.Repository.Owner, command.Repository.Name, cancellationToken);
        if (repository is null || AccessPolicy.For(userId, repository) < command.Service.RequiredAccess())
            throw NotFoundOrDenied(command.Repository);
        return repository;
    }

    /// <summary>
    /// One message for "does not exist" and "not yours": a different answer would let anyone with a key
    /// probe for the names of private repositories.
    /// </summary>
    public static WharfException NotFoundOrDenied(RepositoryName name) =>
        WharfException.NotFound($"Repository '{name}' does not exist, or you do not have access to it.");
}
