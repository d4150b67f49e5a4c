using Microsoft.EntityFrameworkCore;
using Wharf.Core.Keys;

namespace Wharf.Data.Stores;

public sealed class EfSshKeyStore(WharfDbContext db) : ISshKeyStore
{
    public Task<SshKeyOwner?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
        (from k in db.SshKeys
         join u in db.Users on k.UserId equals u.Id
         where k.Fingerprint == fingerprint
         select new SshKeyOwner(k.Id, k.PublicKey, u.Id, u.Name))
        .SingleOrDefaultAsync(cancellationToken);

    public async Task AddAsync(SshKey key, CancellationToken cancellationToken)
    {
        db.SshKeys.Add(key);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(key).State = EntityState.Detached;
            throw SshKeyService.DuplicateKey(key.Fingerprint);
        }
    }

    public Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken) =>
        db.SshKeys.Where(k => k.Id == keyId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, when), cancellationToken);
}
