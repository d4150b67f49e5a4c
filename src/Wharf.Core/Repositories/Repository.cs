namespace Wharf.Core.Repositories;

/// <summary>A git repository owned by a user. Invariant: (OwnerId, LowerName) is unique.</summary>
public sealed class Repository
{
    public long Id { get; set; }
    public long OwnerId { get; set; }
    public required string Name { get; set; }
    /// <summary>Invariant: always <c>Names.Lower(Name)</c>.</summary>
    public required string LowerName { get; set; }
    /// <summary>The bare repository directory, absolute, as created.</summary>
    public required string Path { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A repository with its owner's name, as a request resolves it.</summary>
public sealed record RepositoryInfo(long Id, long OwnerId, string OwnerName, string Name, string Path)
{
    public string FullName => $"{OwnerName}/{Name}";
}
