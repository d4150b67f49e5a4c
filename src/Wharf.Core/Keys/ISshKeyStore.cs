using Wharf.Core.Audit;

namespace Wharf.Core.Keys;

/// <summary>
/// Persistence of SSH keys; implemented by Wharf.Data for each database provider. Every change is saved
/// together with its audit entry, in one transaction.
/// </summary>
public interface ISshKeyStore
{
    /// <summary>Looks a key up by its SHA256 fingerprint (an indexed column). Database errors propagate.</summary>
    Task<SshKeyOwner?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>Looks a key up by its row id (the OpenSSH front end's forced command names it).</summary>
    Task<SshKeyOwner?> FindByIdAsync(long keyId, CancellationToken cancellationToken);

    /// <summary>
    /// The keys that still exist among <paramref name="keyIds"/>, with their owners as they are now: one query
    /// for the periodic re-check of every logged-in SSH connection.
    /// </summary>
    Task<IReadOnlyList<SshKeyOwner>> FindByIdsAsync(IReadOnlyCollection<long> keyIds, CancellationToken cancellationToken);

    /// <summary>The user's keys, oldest first.</summary>
    Task<IReadOnlyList<SshKey>> ListAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Stores a new key. Throws <see cref="Errors.WharfException"/> (<see cref="KeyErrors.InUse"/>) when the fingerprint is taken.</summary>
    Task AddAsync(SshKey key, AuditEntry audit, CancellationToken cancellationToken);

    Task UpdateLabelAsync(SshKey key, string label, AuditEntry audit, CancellationToken cancellationToken);

    Task RemoveAsync(SshKey key, AuditEntry audit, CancellationToken cancellationToken);

    Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a login was refused (<see cref="AuditActions.KeyExpired"/>: the key expired;
    /// <see cref="AuditActions.KeyRefused"/>: the key policy no longer allows it), unless a refusal with the same
    /// action was already recorded for this key since it was added. Returns whether an entry was written.
    /// </summary>
    Task<bool> RecordRefusedOnceAsync(SshKeyOwner key, AuditEntry audit, CancellationToken cancellationToken);
}
