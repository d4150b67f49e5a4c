namespace Wharf.Core.Keys;

/// <summary>A public key that logs in as its user. Keys are the only credential of the SSH front door.</summary>
public sealed class SshKey
{
    public long Id { get; set; }
    public long UserId { get; set; }
    /// <summary><c>SHA256:...</c> as OpenSSH prints it. Invariant: unique across the instance, so a key decides one account.</summary>
    public required string Fingerprint { get; set; }
    /// <summary>The normalised OpenSSH line <c>TYPE BASE64</c>, without the comment (that goes into the label).</summary>
    public required string PublicKey { get; set; }
    public required string KeyType { get; set; }
    public int Bits { get; set; }
    public required string Label { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>What an SSH login needs to know about a key: which key and whose it is.</summary>
public sealed record SshKeyOwner(long KeyId, string PublicKey, long UserId, string UserName);
