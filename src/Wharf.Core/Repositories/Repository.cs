namespace Wharf.Core.Repositories;

/// <summary>A git or Mercurial repository owned by a user. Invariant: (OwnerId, LowerName) is unique.</summary>
public sealed class Repository
{
    public long Id { get; set; }
    /// <summary>The repository's public identifier (<c>uuid</c> in the API); unique, never changes.</summary>
    public Guid Uuid { get; set; }
    public long OwnerId { get; set; }
    public required string Name { get; set; }
    /// <summary>Invariant: always <c>Names.Lower(Name)</c>.</summary>
    public required string LowerName { get; set; }
    public Scm Scm { get; set; }
    /// <summary>Private (the default) means only the owner and people granted access; otherwise any signed-in account reads it.</summary>
    public bool IsPrivate { get; set; } = true;
    /// <summary>The repository directory, absolute, as created.</summary>
    public required string Path { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When a push last changed the repository; null until one does.</summary>
    public DateTimeOffset? LastPushedAt { get; set; }
    /// <summary>Pushes that bring a commit or annotated tag whose signature is not verified are refused (git only).</summary>
    public bool RequireSignedCommits { get; set; }
}

/// <summary>A repository with its owner's name, as a request resolves it.</summary>
public sealed record RepositoryInfo(long Id, long OwnerId, string OwnerName, string Name, string Path)
{
    public Guid Uuid { get; init; }
    public Guid OwnerUuid { get; init; }
    public Scm Scm { get; init; }
    public bool IsPrivate { get; init; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastPushedAt { get; init; }
    public bool RequireSignedCommits { get; init; }

    public string FullName => $"{OwnerName}/{Name}";
}
