using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Hosting;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Ssh;

/// <summary>What a check of a logged-in key found: the identity as it is now, or why it may no longer be used.</summary>
/// <param name="Current">The identity with its owner's current standing (admin flag), or null when refused.</param>
/// <param name="Refusal">For the key's holder: why, and where to replace the key; null when <paramref name="Current"/> is set.</param>
public sealed record KeyVerdict(WharfIdentity? Current, string? Refusal)
{
    public static KeyVerdict Refused(string why) => new(null, why);
}

/// <summary>
/// Whether a stored key may be used at this moment: it still exists, belongs to the same account, has not
/// expired, and the key policy (<c>Keys:AllowedTypes</c>, <c>Keys:MinRsaBits</c>, ROCA) still allows it. Asked at
/// login, before every command, by <c>wharf keys authorized</c> and <c>wharf shell</c>, and by the periodic check
/// of live connections (<see cref="RevocationSweeper"/>), so all of them refuse alike.
/// </summary>
public sealed class KeyStanding(KeyPolicy policy, TimeProvider time, WebAddress web, UserCertificates certificates)
{
    /// <summary>For a key that was deleted, or whose account was.</summary>
    public const string NotRegistered = "this key is no longer registered on Wharf.";

    /// <summary>For every key of an account an administrator disabled.</summary>
    public static string DisabledBanner(string userName) =>
        $"The Wharf account {userName} is disabled. Ask your Wharf administrator.\n";

    public static string ExpiredBanner(string label, string fingerprint, DateTimeOffset expiresAt, string keysPage) =>
        $"Your SSH key '{label}' ({fingerprint}) expired on {expiresAt.UtcDateTime:yyyy-MM-dd}. Add a new key at {keysPage}\n";

    public static string PolicyBanner(string label, string fingerprint, string reason, string keysPage) =>
        $"Your SSH key '{label}' ({fingerprint}) can no longer be used: {reason}\nAdd a new key at {keysPage}\n";

    public static string AccessKeyPolicyBanner(string fingerprint, string reason) =>
        $"The access key {fingerprint} can no longer be used: {reason}\n" +
        "Replace it in the settings of the repositories it serves.\n";

    /// <summary>Why the policy refuses the stored key line now, or null when it allows it.</summary>
    public string? PolicyRefusal(string publicKeyLine)
    {
        try
        {
            policy.Check(SshPublicKey.ParseOpenSsh(publicKeyLine));
            return null;
        }
        catch (WharfException e)
        {
            return e.Message;
        }
        catch (SshKeyFormatException e)
        {
            // A stored line the reader no longer accepts (a type support was dropped for): refused the same way.
            return e.Message;
        }
    }

    /// <summary>
    /// Why the account key may not log in at all, whatever else holds: it is for signing only, or it was reported
    /// compromised. Null when neither. At login such a key is refused like an unknown key (no banner).
    /// </summary>
    public string? LoginRefusal(SshKeyOwner owner) =>
        !owner.Usage.CanLogIn() ? "the key is registered for signing only, not for logging in"
        : owner.CompromisedSince is { } c && c <= time.GetUtcNow() ? $"the key was reported compromised since {c.UtcDateTime:yyyy-MM-dd}"
        : null;

    /// <summary>Null when the account key may log in now; else the banner that says why and where to add a new key.</summary>
    public string? Refusal(SshKeyOwner owner, string fingerprint)
    {
        if (owner.UserDisabled) return DisabledBanner(owner.UserName);
        if (LoginRefusal(owner) is { } notForLogin) return PolicyBanner(owner.Label, fingerprint, notForLogin, web.SshKeysPage);
        if (owner.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
            return ExpiredBanner(owner.Label, fingerprint, expiresAt, web.SshKeysPage);
        return PolicyRefusal(owner.PublicKey) is { } why ? PolicyBanner(owner.Label, fingerprint, why, web.SshKeysPage) : null;
    }

    /// <summary>Null when the access key may log in now; else the banner that says why.</summary>
    public string? Refusal(AccessKey key) =>
        PolicyRefusal(key.PublicKey) is { } why ? AccessKeyPolicyBanner(key.Fingerprint, why) : null;

    /// <summary>The account key <paramref name="owner"/> as the logged-in <paramref name="identity"/> may use it now.</summary>
    public KeyVerdict Judge(WharfPrincipal identity, SshKeyOwner? owner)
    {
        // The row id is never reused for another key, but the account is compared too: nothing else may log in as it.
        if (owner is null || owner.KeyId != identity.KeyId || owner.UserId != identity.UserId) return KeyVerdict.Refused(NotRegistered);
        if (Refusal(owner, identity.KeyFingerprint) is { } why) return KeyVerdict.Refused(why);
        return new KeyVerdict(new WharfPrincipal(owner.UserId, owner.UserName, owner.KeyId, identity.KeyFingerprint, owner.Label, owner.IsAdmin), null);
    }

    /// <summary>
    /// A certificate login as it may be used now: the account still exists and is enabled, and the certificate has
    /// not expired or been revoked since login (<c>Ssh:RevokedKeys</c> is read again when it changes).
    /// </summary>
    public KeyVerdict JudgeCertificate(WharfPrincipal identity, Wharf.Core.Users.User? account)
    {
        var login = identity.Certificate ?? throw new InvalidOperationException("Not a certificate login.");
        if (account is null || account.Id != identity.UserId) return KeyVerdict.Refused($"the Wharf account {identity.Name} no longer exists.");
        if (account.IsDisabled) return KeyVerdict.Refused(DisabledBanner(account.Name));
        if (!login.Certificate.IsValidAt(time.GetUtcNow(), certificates.ClockSkew))
            return KeyVerdict.Refused($"your {login.Label} expired on {UserCertificates.When(login.ValidBefore)}.");
        if (certificates.Revoked.IsRevoked(login.Certificate)) return KeyVerdict.Refused($"your {login.Label} has been revoked.");
        return new KeyVerdict(new WharfPrincipal(account.Id, account.Name, 0, identity.KeyFingerprint, login.Label, account.IsAdmin) { Certificate = login }, null);
    }

    /// <summary>The access key as the logged-in <paramref name="identity"/> may use it now (it is removed with its last repository).</summary>
    public KeyVerdict Judge(AccessKeyPrincipal identity, AccessKey? key)
    {
        if (key is null || key.Id != identity.AccessKeyId || key.Fingerprint != identity.KeyFingerprint) return KeyVerdict.Refused(NotRegistered);
        return Refusal(key) is { } why ? KeyVerdict.Refused(why) : new KeyVerdict(identity, null);
    }

    /// <summary>Looks the identity's key up again, now.</summary>
    public async Task<KeyVerdict> CheckAsync(WharfIdentity identity, IServiceProvider services, CancellationToken cancellationToken) => identity switch
    {
        WharfPrincipal { Certificate: not null } user =>
            JudgeCertificate(user, await services.GetRequiredService<Wharf.Core.Users.IUserStore>().FindByIdAsync(user.UserId, cancellationToken)),
        WharfPrincipal user => Judge(user, await services.GetRequiredService<ISshKeyStore>().FindByIdAsync(user.KeyId, cancellationToken)),
        AccessKeyPrincipal key => Judge(key, await services.GetRequiredService<IAccessKeyStore>().FindByIdAsync(key.AccessKeyId, cancellationToken)),
        _ => throw new InvalidOperationException("Unknown identity."),
    };
}
