using Microsoft.EntityFrameworkCore;
using Wharf.Core.AccessKeys;
using Wharf.Core.Keys;

namespace Wharf.Data.Stores;

public sealed class EfAccessKeyStore(WharfDbContext db) : IAccessKeyStore
{
    public Task<AccessKey?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
        db.AccessKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Fingerprint == fingerprint, cancellationToken);

    public Task<AccessKey?> FindByIdAsync(long accessKeyId, CancellationToken cancellationToken) =>
        db.AccessKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == accessKeyId, cancellationToken);

    public async Task<IReadOnlyList<AccessKey>> FindByIdsAsync(IReadOnlyCollection<long> accessKeyIds, CancellationToken cancellationToken)
    {
        if (accessKeyIds.Count == 0) return [];
        var ids = accessKeyIds.ToArray();
        return await db.AccessKeys.AsNoTracking().Where(k => ids.Contains(k.Id)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AccessKeyInfo>> ListAsync(long repositoryId, CancellationToken cancellationToken) =>
        await (from l in db.RepositoryAccessKeys
               join k in db.AccessKeys on l.AccessKeyId equals k.Id
               where l.RepositoryId == repositoryId
               orderby l.Id
               select new AccessKeyInfo(l.Id, l.RepositoryId, k.Id, l.Label, l.CanWrite, k.PublicKey, k.KeyType, k.Bits, k.Fingerprint, k.Comment,
            l.CreatedAt, l.LastUsedAt)).ToListAsync(cancellationToken);

    public async Task<AccessKeyInfo> AddAsync(long repositoryId, AccessKey key, string label, bool canWrite, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var material = await db.AccessKeys.SingleOrDefaultAsync(k => k.Fingerprint == key.Fingerprint, cancellationToken);
        if (material is null)
        {
            material = key;
            db.AccessKeys.Add(material);
        }
        var link = new RepositoryAccessKey { RepositoryId = repositoryId, Label = label, CanWrite = canWrite, CreatedAt = now };
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            link.AccessKeyId = material.Id;
            db.RepositoryAccessKeys.Add(link);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.ChangeTracker.Clear();
            // Either another add of the same key to this repository, or of the same new key elsewhere, got there first.
            throw KeyErrors.KeyInUse();
        }
        return new AccessKeyInfo(link.Id, repositoryId, material.Id, label, canWrite, material.PublicKey, material.KeyType, material.Bits,
            material.Fingerprint, material.Comment, now, null);
    }

    public async Task<bool> UpdateAsync(long repositoryId, long id, string label, bool canWrite, CancellationToken cancellationToken) =>
        await db.RepositoryAccessKeys.Where(l => l.RepositoryId == repositoryId && l.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Label, label).SetProperty(l => l.CanWrite, canWrite), cancellationToken) > 0;

    public async Task<bool> RemoveAsync(long repositoryId, long id, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var link = await db.RepositoryAccessKeys.AsNoTracking().SingleOrDefaultAsync(l => l.RepositoryId == repositoryId && l.Id == id, cancellationToken);
        if (link is null) return false;
        await db.RepositoryAccessKeys.Where(l => l.Id == id).ExecuteDeleteAsync(cancellationToken);
        // The key material goes with its last repository: a key no repository uses must not log in.
        await db.AccessKeys.Where(k => k.Id == link.AccessKeyId && !db.RepositoryAccessKeys.Any(l => l.AccessKeyId == k.Id))
            .ExecuteDeleteAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool?> FindCanWriteAsync(long accessKeyId, long repositoryId, CancellationToken cancellationToken) =>
        await db.RepositoryAccessKeys.Where(l => l.AccessKeyId == accessKeyId && l.RepositoryId == repositoryId)
            .Select(l => (bool?)l.CanWrite).SingleOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<AccessKeyReach>> ReachAsync(long accessKeyId, CancellationToken cancellationToken) =>
        (await (from l in db.RepositoryAccessKeys
                join r in db.Repositories on l.RepositoryId equals r.Id
                join u in db.Users on r.OwnerId equals u.Id
                where l.AccessKeyId == accessKeyId
                orderby u.LowerName, r.LowerName
                select new { Owner = u.Name, r.Name, l.CanWrite }).ToListAsync(cancellationToken))
        .Select(x => new AccessKeyReach($"{x.Owner}/{x.Name}", x.CanWrite)).ToList();

    public async Task MarkUsedAsync(long accessKeyId, long? repositoryId, DateTimeOffset when, CancellationToken cancellationToken)
    {
        await db.AccessKeys.Where(k => k.Id == accessKeyId).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, when), cancellationToken);
        if (repositoryId is { } r)
            await db.RepositoryAccessKeys.Where(l => l.AccessKeyId == accessKeyId && l.RepositoryId == r)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.LastUsedAt, when), cancellationToken);
    }
}
