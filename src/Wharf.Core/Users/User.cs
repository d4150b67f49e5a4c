namespace Wharf.Core.Users;

/// <summary>An account. The name is shown as typed; <see cref="LowerName"/> is what makes it unique.</summary>
public sealed class User
{
    public long Id { get; set; }
    /// <summary>The account's public identifier (<c>{uuid}</c> in the API); unique, never changes.</summary>
    public Guid Uuid { get; set; }
    public required string Name { get; set; }
    /// <summary>Invariant: always <c>Names.Lower(Name)</c>; unique across the instance.</summary>
    public required string LowerName { get; set; }
    public required string Email { get; set; }
    /// <summary>
    /// The address as the instance compares it (<see cref="UserService.NormaliseEmail"/>); unique, so no two accounts
    /// hold one address. Null only for an account whose address another, older account already held when
    /// addresses became unique: it receives no mail until it changes its address.
    /// </summary>
    public string? LowerEmail { get; set; }
    /// <summary>
    /// True once the owner of <see cref="Email"/> has followed the link mailed to it (or an administrator made
    /// the account with <c>wharf admin user create</c>). Until then no key notice or reminder goes to it.
    /// </summary>
    public bool EmailVerified { get; set; }
    /// <summary>An administrator manages every account's keys through the API.</summary>
    public bool IsAdmin { get; set; }
    /// <summary>
    /// Set by an instance administrator on <c>/admin/users</c>: the account's SSH keys, API tokens and web sessions
    /// stop at once (live SSH connections are closed by the next revocation sweep) until it is enabled again.
    /// </summary>
    public bool IsDisabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>
    /// The web sign-in password, hashed by the web front end (ASP.NET Core Identity's format, which names its
    /// own algorithm and iteration count). Null for accounts made with <c>wharf admin user create</c>: those
    /// cannot sign in on the web until a password is set. SSH never looks at it.
    /// </summary>
    public string? PasswordHash { get; set; }
}
