using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Users;

namespace Wharf.Core.Notifications;

/// <summary>When reminders go out: <c>Keys:ExpiryReminderNotice</c> before expiry and <c>Keys:RotationReminderAge</c> after adding.</summary>
public sealed record KeyReminderOptions
{
    // GitHub and GitLab both warn a week ahead of a token's or key's expiry.
    public TimeSpan ExpiryNotice { get; init; } = TimeSpan.FromDays(7);
    // A year: the common rotation period (NIST SP 800-57's cryptoperiod guidance for authentication keys is 1–2 years).
    public TimeSpan RotationAge { get; init; } = TimeSpan.FromDays(365);
}

/// <summary>A key with its owner, as the reminder pass needs it.</summary>
public sealed record KeyWithOwner(SshKey Key, User Owner);

/// <summary>Reads keys due a reminder and records reminders sent; the record is an audit entry, so each is sent once per key.</summary>
public interface IKeyReminderStore
{
    /// <summary>Keys that expire in (now, expiringBy], or were added at or before addedBy and have not expired.</summary>
    Task<IReadOnlyList<KeyWithOwner>> ListCandidatesAsync(DateTimeOffset now, DateTimeOffset expiringBy, DateTimeOffset addedBy, CancellationToken cancellationToken);

    /// <summary>Writes the entry unless one with the same action already exists for this key since it was added. Returns whether it was written.</summary>
    Task<bool> RecordOnceAsync(KeyWithOwner key, AuditEntry entry, CancellationToken cancellationToken);
}

/// <summary>One pass of the reminder job: run once a day (and at start) by <c>wharf serve</c>.</summary>
/// <param name="site">The web server's public address without a trailing slash ("" when unknown), for the links in the mails.</param>
public sealed class KeyReminders(IKeyReminderStore store, INotificationSender sender, KeyReminderOptions options, TimeProvider time, Func<string>? site = null)
{
    public const string ExpiryReminderSent = "expiry-reminder-sent";
    public const string RotationReminderSent = "rotation-reminder-sent";

    private string Site => site?.Invoke() ?? "";

    /// <summary>Sends every reminder now due and not yet sent; returns how many were sent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var sent = 0;
        foreach (var candidate in await store.ListCandidatesAsync(now, now + options.ExpiryNotice, now - options.RotationAge, cancellationToken))
        {
            var key = candidate.Key;
            if (key.IsExpired(now)) continue;
            if (key.ExpiresAt is { } e && e <= now + options.ExpiryNotice)
                sent += await SendOnceAsync(candidate, ExpiryReminderSent, KeyMessages.Expiry(candidate.Owner, key, now, Site), now, cancellationToken);
            if (key.CreatedAt <= now - options.RotationAge)
                sent += await SendOnceAsync(candidate, RotationReminderSent, KeyMessages.Rotation(candidate.Owner, key, options.RotationAge, now, Site), now, cancellationToken);
        }
        return sent;
    }

    private async Task<int> SendOnceAsync(KeyWithOwner candidate, string action, Notification message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Recorded before sending: a reminder is sent at most once. The sender keeps a message it cannot
        // deliver in the outbox, so recording first does not lose it.
        var entry = new AuditEntry
        {
            UserId = candidate.Owner.Id, Action = action, KeyFingerprint = candidate.Key.Fingerprint,
            KeyLabel = candidate.Key.Label, Actor = Actor.System.Name, SourceAddress = Actor.System.SourceAddress, At = now,
        };
        if (!await store.RecordOnceAsync(candidate, entry, cancellationToken)) return 0;
        await sender.SendAsync(message, cancellationToken);
        return 1;
    }
}
