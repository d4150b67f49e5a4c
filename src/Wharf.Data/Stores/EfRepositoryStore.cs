using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Data.Stores;

public sealed class EfRepositoryStore(WharfDbContext db) : IRepositoryStore
{
    public Task<RepositoryInfo?> FindAsync(string ownerName, string name, CancellationToken cancellationToken)
    {
        var owner = Names.Lower(ownerName);
        var lower = Names.Lower(name);
        return (from r in db.Repositories
                join u in db.Users on r.OwnerId equals u.Id
                where u.LowerName == owner && r.LowerName == lower
                select new RepositoryInfo(r.Id, u.Id, u.Name, r.Name, r.Path))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task AddAsync(Repository repository, CancellationToken cancellationToken)
    {
        db.Repositories.Add(repository);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(repository).State = EntityState.Detached;
            throw WharfException.AlreadyExists($"Repository '{repository.Name}' already exists for this owner.");
        }
    }
}
