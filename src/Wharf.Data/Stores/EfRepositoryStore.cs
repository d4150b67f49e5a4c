using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Access;
using Wharf.Core.Repositories;

namespace Wharf.Data.Stores;

public sealed class EfRepositoryStore(WharfDbContext db) : IRepositoryStore
{
    public Task<RepositoryInfo?> FindAsync(string ownerName, string name, CancellationToken cancellationToken)
    {
        var owner = Names.Lower(ownerName);
        var lower = Names.Lower(name);
        return Infos(db.Repositories.Where(r => r.LowerName == lower), db.Users.Where(u => u.LowerName == owner))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RepositoryInfo>> ListVisibleAsync(long userId, bool includeAll, CancellationToken cancellationToken)
    {
        var repositories = includeAll
            ? db.Repositories
            : db.Repositories.Where(r => r.OwnerId == userId || !r.IsPrivate
                || db.RepositoryGrants.Any(g => g.RepositoryId == r.Id && g.UserId == userId));
        return await Infos(repositories, db.Users).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RepositoryInfo>> ListByOwnerAsync(long ownerId, CancellationToken cancellationToken) =>
        await Infos(db.Repositories.Where(r => r.OwnerId == ownerId), db.Users).ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<RepositoryInfo>> ListSharedWithAsync(long userId, CancellationToken cancellationToken) =>
        await Infos(db.Repositories.Where(r => r.OwnerId != userId && db.RepositoryGrants.Any(g => g.RepositoryId == r.Id && g.UserId == userId)), db.Users)
            .ToListAsync(cancellationToken);

    /// <summary>Repositories joined with their owners, by owner then name.</summary>
    private static IQueryable<RepositoryInfo> Infos(IQueryable<Repository> repositories, IQueryable<Core.Users.User> owners) =>
        from r in repositories
        join u in owners on r.OwnerId equals u.Id
        orderby u.LowerName, r.LowerName
        select new RepositoryInfo(r.Id, u.Id, u.Name, r.Name, r.Path)
        {
            Uuid = r.Uuid, OwnerUuid = u.Uuid, Scm = r.Scm, IsPrivate = r.IsPrivate, CreatedAt = r.CreatedAt, LastPushedAt = r.LastPushedAt,
            RequireSignedCommits = r.RequireSignedCommits,
        };

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
            throw RepositoryErrors.AlreadyExists(repository.Name);
        }
    }

    public async Task<bool> RemoveAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // Grants and access-key links go with it (cascading foreign keys).
        var removed = await db.Repositories.Where(r => r.Id == repositoryId).ExecuteDeleteAsync(cancellationToken) > 0;
        // Key material that no repository uses any more must not keep logging in.
        await db.AccessKeys.Where(k => !db.RepositoryAccessKeys.Any(l => l.AccessKeyId == k.Id)).ExecuteDeleteAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return removed;
    }

    public Task MarkPushedAsync(long repositoryId, DateTimeOffset when, CancellationToken cancellationToken) =>
        db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastPushedAt, when), cancellationToken);

    public Task SetRequireSignedCommitsAsync(long repositoryId, bool required, CancellationToken cancellationToken) =>
        db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(s => s.SetProperty(r => r.RequireSignedCommits, required), cancellationToken);

    public async Task<AccessLevel?> FindGrantAsync(long repositoryId, long userId, CancellationToken cancellationToken) =>
        await db.RepositoryGrants.Where(g => g.RepositoryId == repositoryId && g.UserId == userId)
            .Select(g => (AccessLevel?)g.Level).SingleOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<GrantInfo>> ListGrantsAsync(long repositoryId, CancellationToken cancellationToken) =>
        await (from g in db.RepositoryGrants
               join u in db.Users on g.UserId equals u.Id
               where g.RepositoryId == repositoryId
               orderby u.LowerName
               select new GrantInfo(u.Id, u.Uuid, u.Name, g.Level, g.CreatedAt)).ToListAsync(cancellationToken);

    public async Task<bool> SetGrantAsync(long repositoryId, long userId, AccessLevel level, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await db.RepositoryGrants.Where(g => g.RepositoryId == repositoryId && g.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.Level, level), cancellationToken) > 0)
            return false;
        var grant = new RepositoryGrant { RepositoryId = repositoryId, UserId = userId, Level = level, CreatedAt = now };
        db.RepositoryGrants.Add(grant);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            // A concurrent grant of the same user won; this one becomes a change of its level.
            db.Entry(grant).State = EntityState.Detached;
            await db.RepositoryGrants.Where(g => g.RepositoryId == repositoryId && g.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.Level, level), cancellationToken);
            return false;
        }
    }

    public async Task<bool> RemoveGrantAsync(long repositoryId, long userId, CancellationToken cancellationToken) =>
        await db.RepositoryGrants.Where(g => g.RepositoryId == repositoryId && g.UserId == userId).ExecuteDeleteAsync(cancellationToken) > 0;
}
