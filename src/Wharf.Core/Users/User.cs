namespace Wharf.Core.Users;

/// <summary>An account. The name is shown as typed; <see cref="LowerName"/> is what makes it unique.</summary>
public sealed class User
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Invariant: always <c>Names.Lower(Name)</c>; unique across the instance.</summary>
    public required string LowerName { get; set; }
    public required string Email { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
