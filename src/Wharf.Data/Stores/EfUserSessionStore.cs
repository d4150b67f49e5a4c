using Microsoft.EntityFrameworkCore;
using Wharf.Core.Users;

namespace Wharf.Data.Stores;

public sealed class EfUserSessionStore(WharfDbContext db) : IUserSessionStore
{
    public async Task<Guid> StartAsync(long userId, DateTimeOffset now, TimeSpan idleLifetime, CancellationToken cancellationToken)
    {
        // Sessions whose cookie has expired without a sign-out: nothing can use them any more.
        var idleSince = now - idleLifetime;
        await db.UserSessions.Where(s => s.LastSeenAt < idleSince).ExecuteDeleteAsync(cancellationToken);
        var session = new UserSession { Id = Guid.NewGuid(), UserId = userId, CreatedAt = now, LastSeenAt = now };
        db.UserSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(session).State = EntityState.Detached;
        return session.Id;
    }

    public async Task<bool> IsActiveAsync(Guid id, long userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lastSeen = await db.UserSessions.AsNoTracking().Where(s => s.Id == id && s.UserId == userId)
            // A disabled account's sessions are deleted when it is disabled; this also refuses one started in the same instant.
            .Where(s => db.Users.Any(u => u.Id == s.UserId && !u.IsDisabled))
            .Select(s => (DateTimeOffset?)s.LastSeenAt).SingleOrDefaultAsync(cancellationToken);
        if (lastSeen is not { } seen) return false;
        if (now - seen >= IUserSessionStore.TouchInterval)
            await db.UserSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), cancellationToken);
        return true;
    }

    public Task EndAsync(Guid id, CancellationToken cancellationToken) =>
        db.UserSessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);

    public Task<int> EndAllAsync(long userId, CancellationToken cancellationToken) =>
        db.UserSessions.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
}
