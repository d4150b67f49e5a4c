using Microsoft.EntityFrameworkCore;
using Wharf.Core.Users;

namespace Wharf.Data.Stores;

public sealed class EfEmailTokenStore(WharfDbContext db) : IEmailTokenStore
{
    public async Task AddAsync(EmailToken token, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Only the newest link of a kind works: a resend makes the earlier mail useless, and expired rows go too.
        await db.EmailTokens.Where(t => (t.UserId == token.UserId && t.Purpose == token.Purpose) || t.ExpiresAt < token.CreatedAt)
            .ExecuteDeleteAsync(cancellationToken);
        db.EmailTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(token).State = EntityState.Detached;
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<EmailToken?> TakeAsync(string tokenHash, string purpose, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var token = await db.EmailTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == tokenHash && t.Purpose == purpose, cancellationToken);
        if (token is null) return null;
        // The delete decides: of two concurrent uses only the one that deleted the row goes on.
        var deleted = await db.EmailTokens.Where(t => t.Id == token.Id).ExecuteDeleteAsync(cancellationToken);
        return deleted == 1 && token.ExpiresAt > now ? token : null;
    }
}
