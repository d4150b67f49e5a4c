namespace Wharf.Core.AccessKeys;

/// <summary>
/// A public key that belongs to repositories rather than to a person: a build server's or a deployment's
/// key (Bitbucket's "access key", GitHub's "deploy key"). The key material is stored once however many
/// repositories it serves. Invariant: the fingerprint is unique here and is never also an account key.
/// </summary>
public sealed class AccessKey
{
    public long Id { get; set; }
    /// <summary><c>SHA256:...</c> as OpenSSH prints it.</summary>
    public required string Fingerprint { get; set; }
    /// <summary>The normalised OpenSSH line <c>TYPE BASE64</c>, without the comment.</summary>
    public required string PublicKey { get; set; }
    public required string KeyType { get; set; }
    public int Bits { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>
/// An access key added to one repository: its label there, whether it may push, and when it was last used
/// there. Invariant: (RepositoryId, AccessKeyId) is unique. <see cref="Id"/> is the API's <c>key_id</c>.
/// </summary>
public sealed class RepositoryAccessKey
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public long AccessKeyId { get; set; }
    public required string Label { get; set; }
    /// <summary>False (the default) for read-only: clone and fetch, never push.</summary>
    public bool CanWrite { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>An access key on one repository, joined with its key material, as lists and the API show it.</summary>
public sealed record AccessKeyInfo(
    long Id, long RepositoryId, long AccessKeyId, string Label, bool CanWrite, string PublicKey, string KeyType, int Bits,
    string Fingerprint, string? Comment, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>What an SSH login with an access key reaches: each repository by full name, and whether it may push.</summary>
public sealed record AccessKeyReach(string Repository, bool CanWrite);
