using Wharf.Core.Errors;

namespace Wharf.Core.Users;

public sealed class UserService(IUserStore store, TimeProvider time)
{
    // RFC 5321 §4.5.3.1.3 limits a path to 256 octets including the angle brackets.
    public const int MaxEmailLength = 254;

    public async Task<User> CreateAsync(string name, string email, CancellationToken cancellationToken, bool isAdmin = false, string? passwordHash = null)
    {
        Names.ValidateUserName(name);
        Names.RefuseReservedUserName(name);
        ValidateEmail(email);
        if (await store.FindByNameAsync(name, cancellationToken) is not null)
            throw WharfException.AlreadyExists($"User '{name}' already exists.");
        var user = new User
        {
            Uuid = Guid.NewGuid(), Name = name, LowerName = Names.Lower(name), Email = email.Trim(), IsAdmin = isAdmin,
            CreatedAt = time.GetUtcNow(), PasswordHash = passwordHash,
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
