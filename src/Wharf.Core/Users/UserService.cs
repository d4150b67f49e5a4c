using Wharf.Core.Errors;

namespace Wharf.Core.Users;

public sealed class UserService(IUserStore store, TimeProvider time)
{
    // RFC 5321 §4.5.3.1.3 limits a path to 256 octets including the angle brackets.
    public const int MaxEmailLength = 254;

    /// <summary>
    /// The answer when an address is held by another account. It names no account, and is the same whether the
    /// other account verified the address or not.
    /// </summary>
    public const string EmailUnavailable = "That email address can't be used.";

    /// <summary>
    /// Makes an account. <paramref name="emailVerified"/>: true when an administrator vouches for the address
    /// (<c>wharf admin user create</c>); a web sign-up starts unverified and is mailed a link.
    /// </summary>
    public async Task<User> CreateAsync(string name, string email, CancellationToken cancellationToken, bool isAdmin = false, string? passwordHash = null,
        bool emailVerified = false)
    {
        Names.ValidateUserName(name);
        Names.RefuseReservedUserName(name);
        ValidateEmail(email);
        if (await store.FindByNameAsync(name, cancellationToken) is not null)
            throw WharfException.AlreadyExists($"User '{name}' already exists.");
        if (await store.FindByEmailAsync(email, cancellationToken) is not null)
            throw WharfException.AlreadyExists(EmailUnavailable);
        var user = new User
        {
            Uuid = Guid.NewGuid(), Name = name, LowerName = Names.Lower(name), Email = email.Trim(), LowerEmail = NormaliseEmail(email),
            EmailVerified = emailVerified, IsAdmin = isAdmin, CreatedAt = time.GetUtcNow(), PasswordHash = passwordHash,
        };
        // The store refuses a duplicate too: another process may have created the same name since the check.
        await store.AddAsync(user, cancellationToken);
        return user;
    }

    public async Task<User> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (!Names.IsValidUserName(name)) throw UserNotFound(name);
        return await store.FindByNameAsync(name, cancellationToken) ?? throw UserNotFound(name);
    }

    /// <summary>Finds a user by name or by <c>{uuid}</c> (with braces, as Bitbucket writes it).</summary>
    public async Task<User> GetByNameOrUuidAsync(string nameOrUuid, CancellationToken cancellationToken)
    {
        if (nameOrUuid.StartsWith('{') && nameOrUuid.EndsWith('}'))
            return Guid.TryParse(nameOrUuid.AsSpan(1, nameOrUuid.Length - 2), out var uuid)
                ? await store.FindByUuidAsync(uuid, cancellationToken) ?? throw UserNotFound(nameOrUuid)
                : throw UserNotFound(nameOrUuid);
        return await GetAsync(nameOrUuid, cancellationToken);
    }

    public static WharfException UserNotFound(string name) => WharfException.NotFound($"User {Display.Quote(name)} does not exist.");

    /// <summary>
    /// How addresses are compared: trimmed and lower-cased (invariant culture) as a whole. The local part is
    /// case-sensitive in RFC 5321 §2.4, but no mail provider in use treats two casings as two mailboxes, and
    /// treating them as one is the safe side: nobody can claim "Alice@" beside "alice@".
    /// </summary>
    public static string NormaliseEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Checks an address typed by a user (sign-up, change of address); throws InvalidArgument.</summary>
    public static void CheckEmail(string? email) => ValidateEmail(email);

    /// <summary>
    /// Deliberately loose: one '@' with something on each side and no spaces. Whether an address works is
    /// only known by mailing it, which a later issue does.
    /// </summary>
    private static void ValidateEmail(string? email)
    {
        var e = email?.Trim();
        var at = e?.IndexOf('@') ?? -1;
        var ok = e is not null
            && e.Length <= MaxEmailLength
            && at > 0 && at == e.LastIndexOf('@') && at < e.Length - 1
            && !e.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
        if (!ok) throw WharfException.InvalidArgument($"Invalid email address {Display.Quote(email)}: expected something like 'name@example.org'.");
    }
}
