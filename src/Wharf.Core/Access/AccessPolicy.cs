using Wharf.Core.Repositories;

namespace Wharf.Core.Access;

/// <summary>
/// The whole access policy, as one pure function: a ladder of one-line rules, first match wins
/// (CONVENTIONS §12). Each rung has a row in AccessPolicyTests. Later issues add rungs
/// (collaborators, public repositories, admins) here and nowhere else.
/// </summary>
public static class AccessPolicy
{
    /// <param name="userId">The authenticated user, or null for anonymous.</param>
    public static AccessLevel For(long? userId, RepositoryInfo repository)
    {
        if (userId is null) return AccessLevel.None;                       // anonymous: nothing is public yet
        if (userId == repository.OwnerId) return AccessLevel.Write;         // owners read and write
        return AccessLevel.None;                                            // everyone else: private by default
    }
}
