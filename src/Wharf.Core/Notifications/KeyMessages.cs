using System.Globalization;
using System.Text;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Users;

namespace Wharf.Core.Notifications;

/// <summary>The texts of the SSH key emails. Each names the key by label and SHA256 fingerprint, as the keys page shows it.</summary>
public static class KeyMessages
{
    public const string AddedSubject = "SSH key added";
    public const string RemovedSubject = "SSH key removed";
    public const string ExpirySubject = "SSH key expires soon";
    public const string RotationSubject = "SSH key rotation reminder";
    public const string UsageSubject = "SSH key usage changed";
    public const string CompromisedSubject = "SSH key reported compromised";
    public const string TakenOverSubject = "SSH key moved to another account";
    public const string CommandLine = "the command line on the server";

    /// <summary><paramref name="site"/>: the web server's public address (no trailing slash), or "" when unknown.</summary>
    public static Notification Added(User user, SshKey key, Actor actor, DateTimeOffset at, string site = "") => Build(user, AddedSubject,
        $"An SSH key was added to your Wharf account {user.Name}. From now on it can read and write your repositories over SSH.",
        key, at, actor,
        $"If you did not add this key, remove it at once at {site}/account/ssh-keys and change your password at {site}/account/password.");

    public static Notification Removed(User user, SshKey key, Actor actor, DateTimeOffset at, string site = "") => Build(user, RemovedSubject,
        $"An SSH key was removed from your Wharf account {user.Name}. It no longer logs in.",
        key, at, actor,
        $"If you did not remove this key, sign in and check your SSH keys at {site}/account/ssh-keys and the audit log at {site}/account/audit.");

    public static Notification UsageChanged(User user, SshKey key, KeyUsage from, Actor actor, DateTimeOffset at, string site = "") => Build(user, UsageSubject,
        $"The usage of an SSH key on your Wharf account {user.Name} changed from {from.ForPeople()} to {key.Usage.ForPeople()}." +
        (key.Usage.CanLogIn() ? " It can log in over SSH." : " It no longer logs in over SSH.") +
        (key.Usage.CanSign() ? " Commits and tags signed with it can show as verified." : " Signatures made with it no longer verify new commits."),
        key, at, actor,
        $"If you did not make this change, check your SSH keys at {site}/account/ssh-keys and the audit log at {site}/account/audit.");

    public static Notification Compromised(User user, SshKey key, Actor actor, DateTimeOffset at, string site = "") => Build(user, CompromisedSubject,
        $"An SSH key on your Wharf account {user.Name} was reported compromised since {key.CompromisedSince!.Value.UtcDateTime:yyyy-MM-dd}. " +
        "It no longer logs in and no longer signs; commit signatures Wharf recorded from that date on now show as revoked, earlier ones stay verified with a note.",
        key, at, actor,
        $"Make a new key (ssh-keygen -t ed25519) and add it at {site}/account/ssh-keys. If you did not report this, check the audit log at {site}/account/audit.");

    /// <summary>Never names the account that took the key: that would tell the loser who holds the private key.</summary>
    public static Notification TakenOver(User user, SshKey key, DateTimeOffset at, string site = "") => Build(user, TakenOverSubject,
        $"An SSH key on your Wharf account {user.Name} was removed from it: another account proved that it holds the private key of this key, " +
        "which this account never did. The key no longer logs in to or signs for your account.",
        key, at, actor: null,
        $"If this key is yours, someone else holds its private key: make a new key and add it at {site}/account/ssh-keys, proving possession.");

    public static Notification Expiry(User user, SshKey key, DateTimeOffset at, string site = "")
    {
        var expires = key.ExpiresAt ?? throw new ArgumentException("The key has no expiry.", nameof(key));
        return Build(user, ExpirySubject,
            $"Your SSH key \"{key.Label}\" on the Wharf account {user.Name} expires on {Utc(expires)}. From then on it no longer logs in.",
            key, at, actor: null,
            $"Make a new key (ssh-keygen -t ed25519) and add it at {site}/account/ssh-keys before then (the guide there shows every step: {site}/account/ssh-keys/guide).");
    }

    public static Notification Rotation(User user, SshKey key, TimeSpan age, DateTimeOffset at, string site = "") => Build(user, RotationSubject,
        $"Your SSH key \"{key.Label}\" on the Wharf account {user.Name} was added on {Utc(key.CreatedAt)}, {Age(age)} ago. Consider replacing it with a new key.",
        key, at, actor: null,
        $"Make a new key (ssh-keygen -t ed25519), add it at {site}/account/ssh-keys, then remove the old one there.");

    /// <summary>Where a change came from, in words: the client's address, or the server's own command line.</summary>
    public static string Source(Actor actor) => actor.SourceAddress switch
    {
        null or "" => "unknown",
        var s when s == Actor.Cli.SourceAddress => CommandLine,
        var s => s,
    };

    public static string Utc(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Age(TimeSpan age) => age.TotalDays % 365 == 0 && age.TotalDays >= 365
        ? (age.TotalDays == 365 ? "one year" : $"{age.TotalDays / 365:0} years")
        : $"{age.TotalDays:0} days";

    private static Notification Build(User user, string subject, string opening, SshKey key, DateTimeOffset at, Actor? actor, string advice)
    {
        var body = new StringBuilder()
            .Append("Hello ").Append(user.Name).Append(",\n\n")
            .Append(opening).Append("\n\n")
            .Append("Label: ").Append(key.Label).Append('\n')
            .Append("Fingerprint: ").Append(key.Fingerprint).Append('\n')
            .Append("Type: ").Append(key.KeyType).Append(' ').Append(key.Bits.ToString(CultureInfo.InvariantCulture)).Append(" bits\n")
            .Append("Time: ").Append(Utc(at)).Append('\n');
        if (actor is not null) body.Append("Source address: ").Append(Source(actor)).Append('\n');
        if (key.ExpiresAt is { } e) body.Append("Expires: ").Append(Utc(e)).Append('\n');
        body.Append('\n').Append(advice).Append('\n');
        return new Notification(user.Name, user.Email, subject, body.ToString());
    }
}
