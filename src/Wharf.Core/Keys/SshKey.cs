namespace Wharf.Core.Keys;

/// <summary>A public key that logs in as its user. Keys are the only credential of the SSH front door.</summary>
public sealed class SshKey
{
    public long Id { get; set; }
    /// <summary>The key's public identifier (the API's <c>key_id</c>); unique. The row id never leaves the server.</summary>
    public Guid Uuid { get; set; }
    public long UserId { get; set; }
    /// <summary><c>SHA256:...</c> as OpenSSH prints it. Invariant: unique across the instance, so a key decides one account.</summary>
    public required string Fingerprint { get; set; }
    /// <summary>The normalised OpenSSH line <c>TYPE BASE64</c>, without the comment (that is <see cref="Comment"/>).</summary>
    public required string PublicKey { get; set; }
    public required string KeyType { get; set; }
    public int Bits { get; set; }
    public required string Label { get; set; }
    /// <summary>The comment that came with the key text (often user@host), or null.</summary>
    public string? Comment { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    /// <summary>From this moment the key no longer logs in; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Logging in, signing, or both; <see cref="KeyUsage.Authentication"/> for keys older than usages.</summary>
    public KeyUsage Usage { get; set; }
    /// <summary>
    /// Set when the owner or an administrator reported the key compromised: from this moment on the key neither logs
    /// in nor signs, and signatures recorded since then read as revoked. Only ever moves earlier.
    /// </summary>
    public DateTimeOffset? CompromisedSince { get; set; }
    /// <summary>When the account proved it holds the private key (an SSHSIG over a one-time challenge); null if never.</summary>
    public DateTimeOffset? PossessionProvenAt { get; set; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && e <= now;
    public bool IsCompromised(DateTimeOffset now) => CompromisedSince is { } c && c <= now;
}

/// <summary>What an SSH login needs to know about a key: which key, whose it is, and until when it works.</summary>
public sealed record SshKeyOwner(long KeyId, string PublicKey, long UserId, string UserName, string Label, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    bool IsAdmin = false, bool UserDisabled = false, KeyUsage Usage = KeyUsage.Authentication, DateTimeOffset? CompromisedSince = null);
