using System.Security.Cryptography;
using System.Text;
using Wharf.Core.Notifications;
using Wharf.Core.Users;
using Wharf.Server.Hosting;

namespace Wharf.Server.Mail;

/// <summary>
/// The mails about the account itself: the link that verifies an address, the link that sets a new password,
/// and the notice to the old address when the account's address changes. A link carries 256 random bits; only
/// their SHA-256 is stored (<see cref="IEmailTokenStore"/>), the link works once and expires. Links use the
/// public web address (<see cref="WebAddress.BaseUrl"/>), never the Host header of the request.
/// </summary>
public sealed class AccountMailer(IEmailTokenStore tokens, INotificationSender sender, WebAddress address, TimeProvider time)
{
    public const string VerifyPath = "/account/email/verify";
    public const string PasswordResetPath = "/password-reset";
    public static readonly TimeSpan VerifyLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);

    public const string VerifySubject = "Verify your email address";
    public const string ResetSubject = "Reset your password";
    public const string EmailChangedSubject = "Your email address was changed";

    /// <summary>Mails <paramref name="email"/> a link that, once followed, makes it the account's verified address.</summary>
    public async Task SendVerificationAsync(User user, string email, CancellationToken cancellationToken)
    {
        var link = await IssueAsync(user, EmailTokenPurpose.Verify, email, VerifyLifetime, VerifyPath, cancellationToken);
        await sender.SendAsync(new Notification(user.Name, email, VerifySubject,
            $"Hello {user.Name},\n\nTo confirm that {email} is the address of your Wharf account {user.Name}, open this link within " +
            $"{Hours(VerifyLifetime)}:\n\n{link}\n\nUntil then Wharf sends no key notices to this address. " +
            "If you did not ask for this, ignore this mail: nothing changes.\n"), cancellationToken);
    }

    /// <summary>Mails the account's verified address a link to set a new password.</summary>
    public async Task SendPasswordResetAsync(User user, CancellationToken cancellationToken)
    {
        var link = await IssueAsync(user, EmailTokenPurpose.PasswordReset, user.Email, ResetLifetime, PasswordResetPath, cancellationToken);
        await sender.SendAsync(new Notification(user.Name, user.Email, ResetSubject,
            $"Hello {user.Name},\n\nSomeone asked to reset the password of your Wharf account {user.Name}. To choose a new password, " +
            $"open this link within {Hours(ResetLifetime)}:\n\n{link}\n\nSetting a new password signs out every session of the account. " +
            "If you did not ask for this, ignore this mail: your password stays as it is.\n"), cancellationToken);
    }

    /// <summary>Tells the old address that the account now uses another one.</summary>
    public Task SendEmailChangedAsync(User user, string oldEmail, string newEmail, CancellationToken cancellationToken) =>
        sender.SendAsync(new Notification(user.Name, oldEmail, EmailChangedSubject,
            $"Hello {user.Name},\n\nThe email address of your Wharf account {user.Name} was changed from {oldEmail} to {newEmail} " +
            $"at {KeyMessages.Utc(time.GetUtcNow())}. Mail about the account now goes there.\n\n" +
            $"If you did not do this, reset your password at {Base()}{PasswordResetPath} and tell your Wharf administrator.\n"), cancellationToken);

    /// <summary>SHA-256 of a token, as stored: 64 lowercase hex digits.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private async Task<string> IssueAsync(User user, string purpose, string email, TimeSpan lifetime, string path, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        await tokens.AddAsync(new EmailToken
        {
            UserId = user.Id, Purpose = purpose, TokenHash = HashToken(token), Email = email, CreatedAt = now, ExpiresAt = now + lifetime,
        }, cancellationToken);
        return $"{Base()}{path}?token={token}";
    }

    private string Base() => address.BaseUrl?.TrimEnd('/') ?? "";

    private static string Hours(TimeSpan t) => t.TotalHours == 1 ? "1 hour" : $"{t.TotalHours:0} hours";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
