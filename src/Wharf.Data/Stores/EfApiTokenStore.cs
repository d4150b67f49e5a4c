using Microsoft.EntityFrameworkCore;
using Wharf.Core.Tokens;

namespace Wharf.Data.Stores;

public sealed class EfApiTokenStore(WharfDbContext db) : IApiTokenStore
{
    public async Task AddAsync(ApiToken token, CancellationToken cancellationToken)
    {
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
    }

    public Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        db.ApiTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == tokenHash, cancellationToken);

    public Task MarkUsedAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken) =>
        db.ApiTokens.Where(t => t.Id == tokenId).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, when), cancellationToken);

    public async Task<IReadOnlyList<ApiToken>> ListAsync(long userId, CancellationToken cancellationToken) =>
        await db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId).OrderBy(t => t.Id).ToListAsync(cancellationToken);

    public async Task<bool> RemoveAsync(long userId, long tokenId, CancellationToken cancellationToken) =>
        await db.ApiTokens.Where(t => t.Id == tokenId && t.UserId == userId).ExecuteDeleteAsync(cancellationToken) > 0;
}
