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

    /// <summary>Stores a new user. Throws <see cref="Errors.WharfException"/> (AlreadyExists) when the name or the address is taken.</summary>
    Task AddAsync(User user, CancellationToken cancellationToken);

    /// <summary>Replaces the web sign-in password hash of the user with this id and ends all of the user's web sessions.</summary>
    Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken);
}
