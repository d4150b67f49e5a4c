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

    public Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var lower = UserService.NormaliseEmail(email);
        return db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.LowerEmail == lower, cancellationToken);
    }

    public async Task SetEmailAsync(long userId, string email, bool verified, CancellationToken cancellationToken)
    {
        var trimmed = email.Trim();
        var lower = UserService.NormaliseEmail(email);
        int changed;
        try
        {
            changed = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.Email, trimmed).SetProperty(u => u.LowerEmail, lower).SetProperty(u => u.EmailVerified, verified), cancellationToken);
        }
        catch (Exception e) when (UniqueViolation.Is(e))
        {
            throw WharfException.AlreadyExists(UserService.EmailUnavailable);
        }
        if (changed == 0) throw WharfException.NotFound("The user no longer exists.");
    }

    public async Task<IReadOnlyList<UserListing>> ListAsync(CancellationToken cancellationToken) =>
        (await db.Users.AsNoTracking().OrderBy(u => u.Id)
            .Select(u => new { User = u, Keys = db.SshKeys.Count(k => k.UserId == u.Id) }).ToListAsync(cancellationToken))
        .Select(x => new UserListing(x.User, x.Keys)).ToList();

    public async Task SetAdminAsync(long userId, bool isAdmin, CancellationToken cancellationToken)
    {
        if (await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, isAdmin), cancellationToken) == 0)
            throw WharfException.NotFound("The user no longer exists.");
    }

    public async Task SetDisabledAsync(long userId, bool disabled, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsDisabled, disabled), cancellationToken) == 0)
            throw WharfException.NotFound("The user no longer exists.");
        if (disabled) await db.UserSessions.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

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
            // Another process made the same name or took the same address since the service checked.
            if (await FindByNameAsync(user.Name, cancellationToken) is null && user.LowerEmail is { } lower
                && await db.Users.AnyAsync(u => u.LowerEmail == lower, cancellationToken))
                throw WharfException.AlreadyExists(UserService.EmailUnavailable);
            throw WharfException.AlreadyExists($"User '{user.Name}' already exists.");
        }
    }
}
