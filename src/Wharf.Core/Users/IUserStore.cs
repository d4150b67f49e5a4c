namespace Wharf.Core.Users;

/// <summary>Persistence of users; implemented by Wharf.Data for each database provider.</summary>
public interface IUserStore
{
    Task<User?> FindByNameAsync(string name, CancellationToken cancellationToken);

    Task<User?> FindByUuidAsync(Guid uuid, CancellationToken cancellationToken);

    Task<User?> FindByIdAsync(long id, CancellationToken cancellationToken);

    /// <summary>The account holding this address, compared as <see cref="UserService.NormaliseEmail"/> does.</summary>
    Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the user's address and whether it is verified. Throws <see cref="Errors.WharfException"/> (AlreadyExists,
    /// <see cref="UserService.EmailUnavailable"/>) when another account holds it.
    /// </summary>
    Task SetEmailAsync(long userId, string email, bool verified, CancellationToken cancellationToken);

    /// <summary>Every account, oldest first, with how many SSH keys it has (the administrators' user list).</summary>
    Task<IReadOnlyList<UserListing>> ListAsync(CancellationToken cancellationToken);

    Task SetAdminAsync(long userId, bool isAdmin, CancellationToken cancellationToken);

    /// <summary>Disables or enables the account; disabling ends every web session of it in the same transaction.</summary>
    Task SetDisabledAsync(long userId, bool disabled, CancellationToken cancellationToken);

    /// <summary>Stores a new user. Throws <see cref="Errors.WharfException"/> (AlreadyExists) when the name or the address is taken.</summary>
    Task AddAsync(User user, CancellationToken cancellationToken);

    /// <summary>Replaces the web sign-in password hash of the user with this id and ends all of the user's web sessions.</summary>
    Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken);
}

/// <summary>One row of the administrators' user list.</summary>
public sealed record UserListing(User User, int KeyCount);

/// <summary>The audit actions about an account itself (the audit log names the administrator who did it).</summary>
public static class AccountAuditActions
{
    public const string AdminGranted = "admin-granted";
    public const string AdminRevoked = "admin-revoked";
    public const string Disabled = "account-disabled";
    public const string Enabled = "account-enabled";
}
