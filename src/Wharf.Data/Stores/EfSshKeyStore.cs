using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Wharf.Core.Audit;
using Wharf.Core.Keys;

namespace Wharf.Data.Stores;

public sealed class EfSshKeyStore(WharfDbContext db) : ISshKeyStore
{
    public Task<SshKeyOwner?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
        Owners(db.SshKeys.Where(k => k.Fingerprint == fingerprint)).SingleOrDefaultAsync(cancellationToken);

    public Task<SshKeyOwner?> FindByIdAsync(long keyId, CancellationToken cancellationToken) =>
        Owners(db.SshKeys.Where(k => k.Id == keyId)).SingleOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<SshKeyOwner>> FindByIdsAsync(IReadOnlyCollection<long> keyIds, CancellationToken cancellationToken)
    {
        if (keyIds.Count == 0) return [];
        // An array parameter: json_each on SQLite, = ANY on PostgreSQL; one statement however many keys.
        var ids = keyIds.ToArray();
        return await Owners(db.SshKeys.Where(k => ids.Contains(k.Id))).ToListAsync(cancellationToken);
    }

    private IQueryable<SshKeyOwner> Owners(IQueryable<SshKey> keys) =>
        from k in keys
        join u in db.Users on k.UserId equals u.Id
        select new SshKeyOwner(k.Id, k.PublicKey, u.Id, u.Name, k.Label, k.CreatedAt, k.ExpiresAt, u.IsAdmin, u.IsDisabled, k.Usage, k.CompromisedSince);

    public async Task<IReadOnlyList<SshKey>> ListAsync(long userId, CancellationToken cancellationToken) =>
        await db.SshKeys.AsNoTracking().Where(k => k.UserId == userId).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);

    public async Task AddAsync(SshKey key, AuditEntry audit, Core.Users.EmailToken? spentChallenge, CancellationToken cancellationToken)
    {
        await RefuseSpentAsync(spentChallenge, cancellationToken);
        db.SshKeys.Add(key);
        db.AuditLog.Add(audit);
        if (spentChallenge is not null) db.EmailTokens.Add(spentChallenge);
        try
        {
            // One SaveChanges is one transaction: the key, its audit entry and the spent challenge are stored together or not at all.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(key).State = EntityState.Detached;
            db.Entry(audit).State = EntityState.Detached;
            if (spentChallenge is not null) db.Entry(spentChallenge).State = EntityState.Detached;
            // Two uses of one challenge at once: the unique index on the hash lets one through.
            await RefuseSpentAsync(spentChallenge, cancellationToken);
            throw KeyErrors.KeyInUse();
        }
        if (spentChallenge is not null) db.Entry(spentChallenge).State = EntityState.Detached;
    }

    /// <summary>
    /// Refuses a proof whose challenge already proved a key (<see cref="KeyErrors.ProofSpent"/>), and forgets the spent
    /// challenges that have expired: those are refused as expired before they get here.
    /// </summary>
    private async Task RefuseSpentAsync(Core.Users.EmailToken? spentChallenge, CancellationToken cancellationToken)
    {
        if (spentChallenge is null) return;
        var (hash, now) = (spentChallenge.TokenHash, spentChallenge.CreatedAt);
        await db.EmailTokens.Where(t => t.Purpose == Core.Users.EmailTokenPurpose.KeyProofSpent && t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        if (await db.EmailTokens.AnyAsync(t => t.TokenHash == hash, cancellationToken)) throw KeyErrors.ProofSpent();
    }

    public Task UpdateLabelAsync(SshKey key, string label, AuditEntry audit, CancellationToken cancellationToken) =>
        UpdateWithAuditAsync(key, s => s.SetProperty(k => k.Label, label), audit, cancellationToken);

    public Task UpdateUsageAsync(SshKey key, KeyUsage usage, AuditEntry audit, CancellationToken cancellationToken) =>
        UpdateWithAuditAsync(key, s => s.SetProperty(k => k.Usage, usage), audit, cancellationToken);

    /// <summary>One change to the key's row and its audit entry, in one transaction; a key deleted meanwhile is not found.</summary>
    private async Task UpdateWithAuditAsync(SshKey key, Action<UpdateSettersBuilder<SshKey>> set, AuditEntry audit, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.SshKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(set, cancellationToken);
        if (changed == 0) throw KeyErrors.KeyNotFound("with id {" + key.Uuid + "}");
        db.AuditLog.Add(audit);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task RemoveAsync(SshKey key, AuditEntry audit, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.SshKeys.Where(k => k.Id == key.Id).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0) throw KeyErrors.KeyNotFound("with id {" + key.Uuid + "}");
        db.AuditLog.Add(audit);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task MarkCompromisedAsync(SshKey key, DateTimeOffset since, string revokedReason, string earlierNote, AuditEntry audit, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.SshKeys.Where(k => k.Id == key.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.CompromisedSince, since), cancellationToken);
        if (changed == 0) throw KeyErrors.KeyNotFound("with id {" + key.Uuid + "}");
        var fingerprint = key.Fingerprint;
        // Verified or already revoked by an earlier, later-dated report: from the (new) date on they are revoked.
        await db.CommitSignatures
            .Where(c => c.KeyFingerprint == fingerprint && c.VerifiedAt >= since
                && (c.Status == Core.Signatures.SignatureStatus.Verified || c.Status == Core.Signatures.SignatureStatus.Revoked))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, Core.Signatures.SignatureStatus.Revoked).SetProperty(c => c.Reason, revokedReason), cancellationToken);
        await db.CommitSignatures
            .Where(c => c.KeyFingerprint == fingerprint && c.VerifiedAt < since && c.Status == Core.Signatures.SignatureStatus.Verified)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Reason, earlierNote), cancellationToken);
        db.AuditLog.Add(audit);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public Task MarkPossessionProvenAsync(SshKey key, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.SshKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.PossessionProvenAt, at), cancellationToken);

    public async Task TakeOverAsync(SshKey lost, SshKey added, AuditEntry loserAudit, AuditEntry winnerAudit, Core.Users.EmailToken spentChallenge,
        CancellationToken cancellationToken)
    {
        await RefuseSpentAsync(spentChallenge, cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.SshKeys.Where(k => k.Id == lost.Id && k.UserId == lost.UserId).ExecuteDeleteAsync(cancellationToken);
        // Someone else removed or moved it meanwhile: the add below meets the unique index if it is still taken.
        _ = removed;
        db.SshKeys.Add(added);
        db.AuditLog.Add(loserAudit);
        db.AuditLog.Add(winnerAudit);
        db.EmailTokens.Add(spentChallenge);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(added).State = EntityState.Detached;
            db.Entry(loserAudit).State = EntityState.Detached;
            db.Entry(winnerAudit).State = EntityState.Detached;
            db.Entry(spentChallenge).State = EntityState.Detached;
            // The failed statement ends the transaction on PostgreSQL: roll back (putting the lost key back) before asking why.
            await tx.RollbackAsync(cancellationToken);
            await RefuseSpentAsync(spentChallenge, cancellationToken);
            throw KeyErrors.KeyInUse();
        }
        db.Entry(spentChallenge).State = EntityState.Detached;
        await tx.CommitAsync(cancellationToken);
    }

    public Task<SshKey?> FindKeyByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
        db.SshKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Fingerprint == fingerprint, cancellationToken);

    public Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken) =>
        db.SshKeys.Where(k => k.Id == keyId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, when), cancellationToken);

    public Task<bool> RecordRefusedOnceAsync(SshKeyOwner key, AuditEntry audit, CancellationToken cancellationToken)
    {
        var (userId, action, fingerprint, since) = (key.UserId, audit.Action, audit.KeyFingerprint, key.CreatedAt);
        return AuditOnce.RecordAsync(db, audit, a => a.UserId == userId && a.Action == action
            && a.KeyFingerprint == fingerprint && a.At >= since, cancellationToken);
    }
}
