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
    /// <summary>An administrator manages every account's keys through the API.</summary>
    public bool IsAdmin { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>
    /// The web sign-in password, hashed by the web front end (ASP.NET Core Identity's format, which names its
    /// own algorithm and iteration count). Null for accounts made with <c>wharf admin user create</c>: those
    /// cannot sign in on the web until a password is set. SSH never looks at it.
    /// </summary>
    public string? PasswordHash { get; set; }
}
