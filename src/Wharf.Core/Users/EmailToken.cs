namespace Wharf.Core.Users;

/// <summary>
/// A link mailed to an address: proof that its reader controls that address (<see cref="EmailTokenPurpose.Verify"/>)
/// or may set the account's password (<see cref="EmailTokenPurpose.PasswordReset"/>). Only the SHA-256 of the
/// token is stored; the token itself exists only in the mail. It is deleted when used (single use) and refused
/// after <see cref="ExpiresAt"/>. The same table remembers the proof-of-possession challenges already used
/// (<see cref="EmailTokenPurpose.KeyProofSpent"/>: the SHA-256 of the challenge, kept until the challenge expires),
/// so that each challenge proves one key once.
/// </summary>
public sealed class EmailToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Purpose { get; set; }
    /// <summary>64 hex digits: SHA-256 of the token in the link.</summary>
    public required string TokenHash { get; set; }
    /// <summary>The address the link was sent to: for a verification, the address it proves.</summary>
    public required string Email { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public static class EmailTokenPurpose
{
    public const string Verify = "verify";
    public const string PasswordReset = "password-reset";
    /// <summary>A proof-of-possession challenge that proved a key (<see cref="Keys.KeyProof"/>); never mailed, never taken.</summary>
    public const string KeyProofSpent = "key-proof-spent";
}

/// <summary>Persistence of mailed links; implemented by Wharf.Data for each database provider.</summary>
public interface IEmailTokenStore
{
    /// <summary>Stores a new token, replacing any earlier one of the same user and purpose (only the newest link works).</summary>
    Task AddAsync(EmailToken token, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the token with this hash and purpose and returns it if it had not expired at <paramref name="now"/>;
    /// null when there is none (never issued, already used) or it expired. Two concurrent uses: one wins.
    /// </summary>
    Task<EmailToken?> TakeAsync(string tokenHash, string purpose, DateTimeOffset now, CancellationToken cancellationToken);
}
