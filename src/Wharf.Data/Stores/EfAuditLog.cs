using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;

namespace Wharf.Data.Stores;

public sealed class EfAuditLog(WharfDbContext db) : IAuditLog
{
    // By id, not by time: ids grow with insertion, and SQLite cannot order by a DateTimeOffset column.
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(long userId, int limit, CancellationToken cancellationToken) =>
        await db.AuditLog.AsNoTracking().Where(a => a.UserId == userId).OrderByDescending(a => a.Id).Take(limit)
            .ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<AuditEntry>> PageAsync(long userId, long? before, long? after, int limit, CancellationToken cancellationToken)
    {
        var mine = db.AuditLog.AsNoTracking().Where(a => a.UserId == userId);
        if (after is { } a0)
        {
            var newer = await mine.Where(a => a.Id > a0).OrderBy(a => a.Id).Take(limit).ToListAsync(cancellationToken);
            newer.Reverse();
            return newer;
        }
        if (before is { } b0) mine = mine.Where(a => a.Id < b0);
        return await mine.OrderByDescending(a => a.Id).Take(limit).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> ListForRepositoryAsync(long repositoryId, int limit, CancellationToken cancellationToken) =>
        await db.AuditLog.AsNoTracking().Where(a => a.RepositoryId == repositoryId).OrderByDescending(a => a.Id).Take(limit)
            .ToListAsync(cancellationToken);

    public async Task AddAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        db.AuditLog.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
    }

    public Task<bool> AddUnlessRecordedAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var (userId, action, fingerprint, label) = (entry.UserId, entry.Action, entry.KeyFingerprint, entry.KeyLabel);
        return AuditOnce.RecordAsync(db, entry, a => a.UserId == userId && a.Action == action
            && a.KeyFingerprint == fingerprint && a.KeyLabel == label, cancellationToken);
    }
}
