using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Users;

namespace Wharf.Data.Stores;

public sealed class EfUserStore(WharfDbContext db) : IUserStore
{
    public Task<User?> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        var lower = Names.Lower(name);
        return db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.LowerName == lower, cancellationToken);
    }

    public Task<User?> FindByUuidAsync(Guid uuid, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Uuid == uuid, cancellationToken);

    public Task<User?> FindByIdAsync(long id, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);

    public async Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken)
    {
        // One UPDATE: the row may have been loaded by another scope, and nothing else about the user changes.
        // Every web session of the user ends with it, in the same transaction: whoever knew the old password
        // (or holds a cookie from it) is signed out.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, passwordHash), cancellationToken);
        if (changed == 0) throw WharfException.NotFound("The user no longer exists.");
        await db.UserSessions.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task AddAsync(User user, CancellationToken cancellationToken)
    {
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(user).State = EntityState.Detached;
            throw WharfException.AlreadyExists($"User '{user.Name}' already exists.");
        }
    }
}
