using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Notifications;

namespace Wharf.Data.Stores;

public sealed class EfKeyReminderStore(WharfDbContext db) : IKeyReminderStore
{
    public async Task<IReadOnlyList<KeyWithOwner>> ListCandidatesAsync(DateTimeOffset now, DateTimeOffset expiringBy, DateTimeOffset addedBy, CancellationToken cancellationToken) =>
        (await (from k in db.SshKeys.AsNoTracking()
                join u in db.Users.AsNoTracking() on k.UserId equals u.Id
                where (k.ExpiresAt == null || k.ExpiresAt > now) && ((k.ExpiresAt != null && k.ExpiresAt <= expiringBy) || k.CreatedAt <= addedBy)
                orderby k.Id
                select new { k, u }).ToListAsync(cancellationToken))
        .Select(x => new KeyWithOwner(x.k, x.u)).ToList();

    public async Task<bool> RecordOnceAsync(KeyWithOwner key, AuditEntry entry, CancellationToken cancellationToken)
    {
        // A transaction: two passes at once (two servers on one database) cannot both record, so both cannot send.
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var (userId, action, fingerprint, since) = (entry.UserId, entry.Action, entry.KeyFingerprint, key.Key.CreatedAt);
        if (await db.AuditLog.AnyAsync(a => a.UserId == userId && a.Action == action && a.KeyFingerprint == fingerprint && a.At >= since, cancellationToken))
            return false;
        db.AuditLog.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }
}
