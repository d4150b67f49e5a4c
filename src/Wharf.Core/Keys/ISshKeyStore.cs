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

    /// <summary>
    /// Stores a new key. Throws <see cref="Errors.WharfException"/> (<see cref="KeyErrors.InUse"/>) when the fingerprint is taken.
    /// With <paramref name="spentChallenge"/> (a proven key): records that challenge as used in the same transaction, and
    /// throws <see cref="KeyErrors.ProofSpent"/> storing nothing when it was used before.
    /// </summary>
    Task AddAsync(SshKey key, AuditEntry audit, Users.EmailToken? spentChallenge, CancellationToken cancellationToken);

    Task UpdateLabelAsync(SshKey key, string label, AuditEntry audit, CancellationToken cancellationToken);

    Task RemoveAsync(SshKey key, AuditEntry audit, CancellationToken cancellationToken);

    Task UpdateUsageAsync(SshKey key, KeyUsage usage, AuditEntry audit, CancellationToken cancellationToken);

    /// <summary>
    /// Sets <see cref="SshKey.CompromisedSince"/> and, in the same transaction, turns the verified signature verdicts
    /// recorded with the key since then into revoked ones (<paramref name="revokedReason"/>), and notes
    /// <paramref name="earlierNote"/> on the earlier verified ones.
    /// </summary>
    Task MarkCompromisedAsync(SshKey key, DateTimeOffset since, string revokedReason, string earlierNote, AuditEntry audit, CancellationToken cancellationToken);

    /// <summary>Records that the account proved it holds the key's private key.</summary>
    Task MarkPossessionProvenAsync(SshKey key, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a key to another account after a proof of possession: removes <paramref name="lost"/> and stores
    /// <paramref name="added"/>, with an entry in each account's audit log and the proof's challenge recorded as used,
    /// in one transaction; a challenge used before throws <see cref="KeyErrors.ProofSpent"/> and changes nothing.
    /// </summary>
    Task TakeOverAsync(SshKey lost, SshKey added, AuditEntry loserAudit, AuditEntry winnerAudit, Users.EmailToken spentChallenge, CancellationToken cancellationToken);

    /// <summary>The stored key with this SHA256 fingerprint, whoever owns it, or null. Database errors propagate.</summary>
    Task<SshKey?> FindKeyByFingerprintAsync(string fingerprint, CancellationToken cancellationToken);

    Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a login was refused (<see cref="AuditActions.KeyExpired"/>: the key expired;
    /// <see cref="AuditActions.KeyRefused"/>: the key policy no longer allows it), unless a refusal with the same
    /// action was already recorded for this key since it was added. Returns whether an entry was written.
    /// </summary>
    Task<bool> RecordRefusedOnceAsync(SshKeyOwner key, AuditEntry audit, CancellationToken cancellationToken);
}
