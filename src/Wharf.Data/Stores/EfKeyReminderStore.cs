using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Notifications;

namespace Wharf.Data.Stores;

public sealed class EfKeyReminderStore(WharfDbContext db) : IKeyReminderStore
{
    // Only owners with a verified address: an unverified one may be someone else's. Their reminders are not
    // recorded either, so they go out on the first pass after the address is verified.
    public async Task<IReadOnlyList<KeyWithOwner>> ListCandidatesAsync(DateTimeOffset now, DateTimeOffset expiringBy, DateTimeOffset addedBy, CancellationToken cancellationToken) =>
        (await (from k in db.SshKeys.AsNoTracking()
                join u in db.Users.AsNoTracking() on k.UserId equals u.Id
                where u.EmailVerified && (k.ExpiresAt == null || k.ExpiresAt > now) && ((k.ExpiresAt != null && k.ExpiresAt <= expiringBy) || k.CreatedAt <= addedBy)
                orderby k.Id
                select new { k, u }).ToListAsync(cancellationToken))
        .Select(x => new KeyWithOwner(x.k, x.u)).ToList();

    // Two passes at once (two nodes on one database) record it once, so only one of them sends.
    public Task<bool> RecordOnceAsync(KeyWithOwner key, AuditEntry entry, CancellationToken cancellationToken)
    {
        var (userId, action, fingerprint, since) = (entry.UserId, entry.Action, entry.KeyFingerprint, key.Key.CreatedAt);
        return AuditOnce.RecordAsync(db, entry, a => a.UserId == userId && a.Action == action && a.KeyFingerprint == fingerprint && a.At >= since,
            cancellationToken);
    }
}
