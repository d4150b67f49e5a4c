using Wharf.Core.AccessKeys;
using Wharf.Core.Repositories;

namespace Wharf.Core.Access;

/// <summary>
/// Gathers the facts <see cref="AccessPolicy"/> needs (grants, access-key links) and asks it. Every front
/// end opens repositories through here, so "not found" and "not allowed" read the same everywhere.
/// </summary>
public sealed class RepositoryAccess(IRepositoryStore repositories, IAccessKeyStore accessKeys)
{
    public async Task<AccessLevel> LevelAsync(AccessSubject subject, RepositoryInfo repository, CancellationToken cancellationToken)
    {
        AccessLevel? userGrant = null;
        AccessLevel? keyGrant = null;
        switch (subject)
        {
            case UserSubject user when user.UserId != repository.OwnerId && !user.IsAdmin:
                userGrant = await repositories.FindGrantAsync(repository.Id, user.UserId, cancellationToken);
                break;
            case AccessKeySubject key:
                keyGrant = await accessKeys.FindCanWriteAsync(key.AccessKeyId, repository.Id, cancellationToken) switch
                {
                    true => AccessLevel.Write,
                    false => AccessLevel.Read,
                    null => null,
                };
                break;
        }
        return AccessPolicy.For(subject, new AccessFacts(repository, userGrant, keyGrant));
    }

    /// <summary>
    /// The repository, when the subject has at least <paramref name="needed"/>. A subject that cannot read it
    /// gets the same answer as for a name that does not exist; one that can read but needs more is told so.
    /// </summary>
    public async Task<(RepositoryInfo Repository, AccessLevel Level)> OpenAsync(
        AccessSubject subject, RepositoryName name, AccessLevel needed, CancellationToken cancellationToken)
    {
        var repository = await repositories.FindAsync(name.Owner, name.Name, cancellationToken);
        if (repository is null) throw RepositoryErrors.NotFoundOrDenied(name.ToString());
        var level = await LevelAsync(subject, repository, cancellationToken);
        if (level < AccessLevel.Read) throw RepositoryErrors.NotFoundOrDenied(name.ToString());
        if (level < needed) throw RepositoryErrors.Forbidden(repository.FullName, needed.ToApi());
        return (repository, level);
    }
}
