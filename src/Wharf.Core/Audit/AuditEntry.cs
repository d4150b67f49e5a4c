namespace Wharf.Core.Audit;

/// <summary>
/// One line of an account's audit log: what happened to which key, who did it, from where. Pushes are
/// recorded here too, with the key that pushed and the repository (in the pusher's log, or the repository
/// owner's log when an access key pushed).
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    /// <summary>The account the entry belongs to (whose key it is); the owner sees it.</summary>
    public long UserId { get; set; }
    /// <summary>One of <see cref="AuditActions"/>.</summary>
    public required string Action { get; set; }
    public required string KeyFingerprint { get; set; }
    public required string KeyLabel { get; set; }
    /// <summary>Who did it: a user name, <c>admin (cli)</c>, or <c>system</c>.</summary>
    public required string Actor { get; set; }
    /// <summary>The client's IP address, <c>local</c> for the CLI.</summary>
    public string? SourceAddress { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>For repository events (pushes): the repository's id, kept after it is deleted (no foreign key).</summary>
    public long? RepositoryId { get; set; }
    /// <summary>For repository events: OWNER/NAME as it was then.</summary>
    public string? Repository { get; set; }
    /// <summary>
    /// For pushes: what changed, e.g. <c>main 1a2b3c4→5d6e7f8, feature new 9abcdef</c> (git) or
    /// <c>default: 2 new changesets, bookmark 'feature' set to 1a2b3c4d5e6f</c> (Mercurial), cut at <see cref="MaxDetailLength"/>.
    /// </summary>
    public string? Detail { get; set; }

    public const int MaxDetailLength = 1000;

    /// <summary><paramref name="text"/> cut to <see cref="MaxDetailLength"/>, ending in "…" when cut; null stays null.</summary>
    public static string? FitDetail(string? text) =>
        text is null || text.Length <= MaxDetailLength ? text : text[..(MaxDetailLength - 1)] + "…";
}

public static class AuditActions
{
    public const string KeyAdded = "key-added";
    public const string LabelChanged = "label-changed";
    public const string KeyDeleted = "key-deleted";
    public const string KeyExpired = "key-expired";
    /// <summary>A login with a stored key that the key policy (allowed types, RSA size, ROCA) no longer accepts was refused.</summary>
    public const string KeyRefused = "key-refused";
    /// <summary>A login with an OpenSSH user certificate naming the account was refused (the label says which and why).</summary>
    public const string CertificateRefused = "certificate-refused";
    /// <summary>A login with a key that may not log in at all (signing-only, or reported compromised) was refused; the detail says which.</summary>
    public const string KeyLoginRefused = "key-login-refused";
    /// <summary>A key's usage (authentication, signing, both) changed; the detail says from what to what.</summary>
    public const string UsageChanged = "usage-changed";
    /// <summary>The owner or an administrator reported a key compromised; the detail gives the date.</summary>
    public const string KeyCompromised = "key-compromised";
    /// <summary>The key left this account: another account proved it holds the private key (the other account is not named).</summary>
    public const string KeyTakenOver = "key-taken-over";
    public const string Push = "push";
    /// <summary>A Git LFS object was uploaded (HTTP API or git-lfs-transfer); the detail gives its OID and size.</summary>
    public const string LfsUpload = "lfs-upload";
    /// <summary>A Git LFS lock was taken; the detail gives the path and the lock's id.</summary>
    public const string LfsLock = "lfs-lock";
    /// <summary>A Git LFS lock was removed (by its owner, or forced); the detail gives the path, the lock's id and its owner.</summary>
    public const string LfsUnlock = "lfs-unlock";
    public const string TokenCreated = "token-created";
    public const string TokenDeleted = "token-deleted";
    public const string GrantGiven = "grant-given";
    public const string GrantChanged = "grant-changed";
    public const string GrantRemoved = "grant-removed";
    public const string RepositoryCreated = "repository-created";
    public const string RepositoryDeleted = "repository-deleted";
    public const string AccessKeyAdded = "access-key-added";
    public const string AccessKeyRemoved = "access-key-removed";
    /// <summary>A repository's "Require signed commits" setting was turned on or off; the label says which.</summary>
    public const string SignedCommitsChanged = "signed-commits-changed";

    /// <summary>
    /// An entry for an event that is not about one of the account's own SSH keys: <paramref name="subject"/> (the
    /// token, the person given access, the access key) goes in the label column, a key's fingerprint when there is one.
    /// </summary>
    public static AuditEntry Event(long userId, string action, string subject, Actor actor, DateTimeOffset at,
        Repositories.RepositoryInfo? repository = null, string fingerprint = "") => new()
    {
        UserId = userId,
        Action = action,
        KeyLabel = subject,
        KeyFingerprint = fingerprint,
        Actor = actor.Name,
        SourceAddress = actor.SourceAddress,
        At = at,
        RepositoryId = repository?.Id,
        Repository = repository?.FullName,
    };
}

/// <summary>Who is acting and from where, as the audit log records it.</summary>
public sealed record Actor(string Name, string? SourceAddress)
{
    /// <summary>An administrator at the server's own command line.</summary>
    public static Actor Cli { get; } = new("admin (cli)", "local");
    public static Actor System { get; } = new("system", null);
}

/// <summary>Reading an account's audit log; entries are written together with the change they record (<see cref="Keys.ISshKeyStore"/>).</summary>
public interface IAuditLog
{
    /// <summary>The user's most recent entries, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(long userId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the user's entries, newest first: those older than <paramref name="before"/> (an entry id), or
    /// newer than <paramref name="after"/> (then still listed newest first), or the newest when both are null.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> PageAsync(long userId, long? before, long? after, int limit, CancellationToken cancellationToken);

    /// <summary>A repository's most recent events (pushes), newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ListForRepositoryAsync(long repositoryId, int limit, CancellationToken cancellationToken);

    Task AddAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Adds the entry unless the user's log already holds one with the same action, key fingerprint and label (for a
    /// refused certificate: the same certificate refused for the same reason), so that a client retrying in a loop
    /// leaves one line, not thousands. Returns whether it was added.
    /// </summary>
    Task<bool> AddUnlessRecordedAsync(AuditEntry entry, CancellationToken cancellationToken);
}
