using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Lfs;

namespace Wharf.Data.Stores;

public sealed class EfLfsLockStore(WharfDbContext db) : ILfsLockStore
{
    public async Task<(LfsLockView Lock, bool Created)> CreateAsync(long repositoryId, string path, long ownerId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Looked up first so that the usual conflict is an answer, not a failed insert; the unique index settles a race.
        if (await db.LfsLocks.AsNoTracking().Where(l => l.RepositoryId == repositoryId && l.Path == path).Select(l => (long?)l.Id).SingleOrDefaultAsync(cancellationToken) is { } held)
            return ((await FindAsync(repositoryId, held, cancellationToken))!, false);
        var row = new LfsLock { RepositoryId = repositoryId, Path = path, OwnerId = ownerId, LockedAt = at };
        db.LfsLocks.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return ((await FindAsync(repositoryId, row.Id, cancellationToken))!, true);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(row).State = EntityState.Detached;
            var holder = await db.LfsLocks.AsNoTracking().SingleAsync(l => l.RepositoryId == repositoryId && l.Path == path, cancellationToken);
            return ((await FindAsync(repositoryId, holder.Id, cancellationToken))!, false);
        }
    }

    public async Task<IReadOnlyList<LfsLockView>> ListAsync(long repositoryId, string? path, long? id, long afterId, int limit, CancellationToken cancellationToken)
    {
        var rows = from l in db.LfsLocks
                   join u in db.Users on l.OwnerId equals u.Id
                   where l.RepositoryId == repositoryId && l.Id > afterId && (path == null || l.Path == path) && (id == null || l.Id == id)
                   orderby l.Id
                   select new { l.Id, l.Path, l.LockedAt, u.Name, l.OwnerId };
        return (await rows.Take(limit).ToListAsync(cancellationToken))
            .Select(r => new LfsLockView(r.Id.ToString(CultureInfo.InvariantCulture), r.Path, r.LockedAt, r.Name, r.OwnerId)).ToList();
    }

    public async Task<LfsLockView?> FindAsync(long repositoryId, long id, CancellationToken cancellationToken)
    {
        var row = await (from l in db.LfsLocks
                         join u in db.Users on l.OwnerId equals u.Id
                         where l.RepositoryId == repositoryId && l.Id == id
                         select new { l.Id, l.Path, l.LockedAt, u.Name, l.OwnerId }).SingleOrDefaultAsync(cancellationToken);
        return row is null ? null : new LfsLockView(row.Id.ToString(CultureInfo.InvariantCulture), row.Path, row.LockedAt, row.Name, row.OwnerId);
    }

    public async Task<bool> DeleteAsync(long repositoryId, long id, CancellationToken cancellationToken) =>
        await db.LfsLocks.Where(l => l.RepositoryId == repositoryId && l.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
}
