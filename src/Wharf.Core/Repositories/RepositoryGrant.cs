using Wharf.Core.Access;

namespace Wharf.Core.Repositories;

/// <summary>A user's permission on someone else's repository. Invariant: (RepositoryId, UserId) is unique.</summary>
public sealed class RepositoryGrant
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public long UserId { get; set; }
    /// <summary>Read, Write or Admin; never None (removing a grant deletes the row).</summary>
    public AccessLevel Level { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A grant with the grantee's name, as the pages and the API list it.</summary>
public sealed record GrantInfo(long UserId, Guid UserUuid, string UserName, AccessLevel Level, DateTimeOffset CreatedAt);
