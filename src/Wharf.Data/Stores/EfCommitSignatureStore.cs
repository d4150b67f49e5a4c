using Microsoft.EntityFrameworkCore;
using Wharf.Core.Signatures;

namespace Wharf.Data.Stores;

public sealed class EfCommitSignatureStore(WharfDbContext db) : ICommitSignatureStore
{
    public async Task<IReadOnlyList<CommitSignature>> FindAsync(long repositoryId, IReadOnlyCollection<string> objectIds, CancellationToken cancellationToken)
    {
        if (objectIds.Count == 0) return [];
        var ids = objectIds.ToArray();
        return await db.CommitSignatures.AsNoTracking().Where(c => c.RepositoryId == repositoryId && ids.Contains(c.ObjectId)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CommitSignature>> ListSignedByAccountsAsync(long repositoryId, CancellationToken cancellationToken) =>
        await db.CommitSignatures.AsNoTracking().Where(c => c.RepositoryId == repositoryId && c.UserId != null && c.KeyFingerprint != null)
            .OrderBy(c => c.Id).ToListAsync(cancellationToken);

    public async Task AddAsync(IReadOnlyCollection<CommitSignature> verdicts, CancellationToken cancellationToken)
    {
        foreach (var v in verdicts)
        {
            var (repositoryId, objectId) = (v.RepositoryId, v.ObjectId);
            // The first verdict counts: one recorded meanwhile (another push of the same commit) is kept.
            if (await db.CommitSignatures.AnyAsync(c => c.RepositoryId == repositoryId && c.ObjectId == objectId, cancellationToken)) continue;
            db.CommitSignatures.Add(v);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException e) when (UniqueViolation.Is(e))
            {
                db.Entry(v).State = EntityState.Detached;
            }
        }
    }
}
