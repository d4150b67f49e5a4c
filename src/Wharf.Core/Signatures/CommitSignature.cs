namespace Wharf.Core.Signatures;

/// <summary>
/// The recorded verdict on one commit's (or annotated tag's) signature in one repository, made when a push brought it
/// (or when it was first shown) and kept: deleting or expiring the key later does not change what was found then.
/// Only a compromise report changes it (<see cref="SignatureStatus.Revoked"/>), for verdicts recorded since the date.
/// </summary>
public sealed class CommitSignature
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    /// <summary>The object id (hex) of the commit or tag.</summary>
    public required string ObjectId { get; set; }
    public SignatureStatus Status { get; set; }
    /// <summary>Why it is not verified, or a note on a verified one (the key was reported compromised later); null otherwise.</summary>
    public string? Reason { get; set; }
    /// <summary>The signing key's SHA256 fingerprint when the signature named one.</summary>
    public string? KeyFingerprint { get; set; }
    /// <summary>The key's label on the account it belongs to, as it was then.</summary>
    public string? KeyLabel { get; set; }
    /// <summary>The account whose key it is, when Wharf knows the key.</summary>
    public long? UserId { get; set; }
    /// <summary>That account's name as it was then.</summary>
    public string? Account { get; set; }
    /// <summary>When the signature was checked.</summary>
    public DateTimeOffset VerifiedAt { get; set; }

    public const int MaxReasonLength = 300;
}

/// <summary>What a commit's signature is, as the API spells it (<c>verified</c>, <c>unverified</c>, <c>revoked</c>, <c>unsigned</c>).</summary>
public enum SignatureStatus
{
    Unsigned,
    Verified,
    Unverified,
    Revoked,
}

public static class SignatureStatuses
{
    public static string ToApi(this SignatureStatus status) => status switch
    {
        SignatureStatus.Verified => "verified",
        SignatureStatus.Unverified => "unverified",
        SignatureStatus.Revoked => "revoked",
        _ => "unsigned",
    };

    public static SignatureStatus FromApi(string text) => text switch
    {
        "verified" => SignatureStatus.Verified,
        "unverified" => SignatureStatus.Unverified,
        "revoked" => SignatureStatus.Revoked,
        _ => SignatureStatus.Unsigned,
    };
}

/// <summary>Persistence of signature verdicts; implemented by Wharf.Data.</summary>
public interface ICommitSignatureStore
{
    /// <summary>The recorded verdicts among <paramref name="objectIds"/> in the repository.</summary>
    Task<IReadOnlyList<CommitSignature>> FindAsync(long repositoryId, IReadOnlyCollection<string> objectIds, CancellationToken cancellationToken);

    /// <summary>Every verdict of the repository that names an account's key (for its allowed_signers file).</summary>
    Task<IReadOnlyList<CommitSignature>> ListSignedByAccountsAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Records verdicts; one already recorded for the same object in the repository is kept (the first check counts).</summary>
    Task AddAsync(IReadOnlyCollection<CommitSignature> verdicts, CancellationToken cancellationToken);
}
