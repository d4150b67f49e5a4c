using Microsoft.AspNetCore.Identity;
using Wharf.Core.Users;
using Wharf.Server.Accounts;

namespace Wharf.Server.Tests;

/// <summary>Sign-in does the same work whether the user name exists or not, so its timing does not tell.</summary>
public sealed class PasswordServiceTests
{
    private sealed class CountingHasher : IPasswordHasher<User>
    {
        private readonly PasswordHasher<User> _inner = new();
        public int Verifications { get; private set; }
        public string HashPassword(User user, string password) => _inner.HashPassword(user, password);
        public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
        {
            Verifications++;
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    [Fact]
    public void An_unknown_user_and_an_account_without_a_password_cost_one_hash_check_like_a_real_account()
    {
        var hasher = new CountingHasher();
        var passwords = new PasswordService(hasher, null!);
        var real = new User { Name = "ann", LowerName = "ann", Email = "ann@example.org", PasswordHash = hasher.HashPassword(null!, "long enough password") };
        var passwordless = new User { Name = "ben", LowerName = "ben", Email = "ben@example.org" };

        Assert.True(passwords.Verify(real, "long enough password"));
        Assert.False(passwords.Verify(real, "wrong password here"));
        Assert.Equal(2, hasher.Verifications);
        Assert.False(passwords.Verify(null, "long enough password"));
        Assert.Equal(3, hasher.Verifications);
        Assert.False(passwords.Verify(passwordless, "long enough password"));
        Assert.Equal(4, hasher.Verifications);
    }
}
