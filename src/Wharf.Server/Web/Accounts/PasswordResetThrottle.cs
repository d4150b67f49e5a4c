namespace Wharf.Server.Web.Accounts;

/// <summary>
/// Keeps <c>/password-reset</c> from becoming a way to flood someone's mailbox or the mail queue: at most
/// <see cref="MaxMailsPerAccount"/> reset mails per account and <see cref="MaxRequestsPerAddress"/> requests per
/// client address within <see cref="Window"/>. Past either, the request gets the same answer as any other and no
/// mail is sent, so the limit tells nobody whether the account exists. In memory and bounded like
/// <see cref="LoginThrottle"/>: a restart forgets.
/// </summary>
public sealed class PasswordResetThrottle(TimeProvider time, int capacity = LoginThrottle.DefaultCapacity)
{
    public const int MaxMailsPerAccount = 3;
    public const int MaxRequestsPerAddress = 10;
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private readonly object _lock = new();
    private readonly RecentFailures _accounts = new(capacity, MaxMailsPerAccount, Window);
    private readonly RecentFailures _addresses = new(capacity, MaxRequestsPerAddress, Window);

    /// <summary>Counts a request from <paramref name="address"/>; false when that address has used up its requests.</summary>
    public bool TryRequest(string? address)
    {
        var now = time.GetUtcNow();
        var key = address ?? "unknown";
        lock (_lock)
        {
            if (_addresses.Recent(key, now) >= MaxRequestsPerAddress) return false;
            _addresses.Add(key, now);
            return true;
        }
    }

    /// <summary>Counts a mail to the account <paramref name="userId"/>; false when it has had its mails for the window.</summary>
    public bool TryMail(long userId)
    {
        var now = time.GetUtcNow();
        var key = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (_lock)
        {
            if (_accounts.Recent(key, now) >= MaxMailsPerAccount) return false;
            _accounts.Add(key, now);
            return true;
        }
    }
}
