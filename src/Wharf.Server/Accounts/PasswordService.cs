using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Wharf.Core.Users;

namespace Wharf.Server.Accounts;

/// <summary>
/// Web sign-in passwords: one rule (<see cref="PasswordRules"/>) and one hasher (ASP.NET Core Identity's
/// <see cref="PasswordHasher{TUser}"/>, PBKDF2 today) for the sign-up page and the admin CLI, so a password
/// set either way signs in the same way. The password itself is never stored, logged or returned.
/// </summary>
public sealed class PasswordService(IPasswordHasher<User> hasher, IUserStore users)
{
    /// <summary>Checks the rules and hashes; the hash names its own algorithm and iteration count.</summary>
    public string Hash(string password)
    {
        PasswordRules.Validate(password);
        // The hasher does not look at the user, so a hash can be made before the row exists (sign-up stores it in one insert).
        return hasher.HashPassword(null!, password);
    }

    public Task SetAsync(User user, string password, CancellationToken cancellationToken) =>
        users.SetPasswordHashAsync(user.Id, Hash(password), cancellationToken);

    /// <summary>
    /// False for no such user and for an account without a password (made by <c>wharf admin user create</c> and
    /// never given one). Those cases check the password against a stand-in hash all the same, so a sign-in takes
    /// as long whether the user name exists or not and its timing does not tell which names do.
    /// </summary>
    public bool Verify(User? user, string password)
    {
        if (user?.PasswordHash is { } hash) return hasher.VerifyHashedPassword(user, hash, password) != PasswordVerificationResult.Failed;
        _ = hasher.VerifyHashedPassword(null!, s_standIn ??= hasher.HashPassword(null!, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), password);
        return false;
    }

    // A hash in the current format of a random password nobody knows, made once: checking it is the work of a real check.
    private static string? s_standIn;
}
