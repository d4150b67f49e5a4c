using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Notifications;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;

namespace Wharf.Core.Keys;

/// <summary>What adding a key understood: the stored key and what the reader changed on the way.</summary>
public sealed record AddedKey(SshKey Key, ParsedPublicKey Parsed);

/// <summary>
/// The one way SSH keys are added, listed, relabelled and removed, whatever the front end (CLI, API, web):
/// same reader (<see cref="PublicKeyText"/>), same policy, same errors (<see cref="KeyErrors"/>).
/// </summary>
/// <remarks>The notifier (email) is told after a change is stored, never before; it never fails the change.</remarks>
public sealed class SshKeyService(ISshKeyStore keys, IUserStore users, KeyPolicy policy, TimeProvider time, IKeyChangeNotifier? notifier = null,
    AccessKeys.IAccessKeyStore? accessKeys = null)
{
    public const int MaxLabelLength = KeyPolicy.MaxLabelLength;

    /// <summary>Reads pasted key text and applies the instance policy, without storing anything.</summary>
    public ParsedPublicKey Check(string? text)
    {
        ParsedPublicKey parsed;
        try { parsed = PublicKeyText.Parse(text); }
        catch (SshKeyFormatException e) { throw KeyErrors.From(e); }
        policy.Check(parsed.Key);
        return parsed;
    }

    public async Task<AddedKey> AddAsync(string userName, string text, string? label, DateTimeOffset? expiresAt, Actor actor, CancellationToken cancellationToken) =>
        await AddAsync(await new UserService(users, time).GetAsync(userName, cancellationToken), text, label, expiresAt, actor, cancellationToken);

    /// <param name="proof">
    /// With <paramref name="challenge"/>: an SSHSIG over the challenge made with the key (<see cref="KeyProof"/>). A proven key
    /// is marked so, and takes the key over from another account that holds it without proof: that account loses it
    /// and is mailed (without learning who took it); both audit logs record it. The challenge is then spent: a proof over
    /// it is refused from then until <paramref name="challengeExpiresAt"/> (after which the challenge itself is refused).
    /// </param>
    public async Task<AddedKey> AddAsync(User user, string? text, string? label, DateTimeOffset? expiresAt, Actor actor, CancellationToken cancellationToken,
        KeyUsage usage = KeyUsage.Authentication, string? challenge = null, string? proof = null, DateTimeOffset? challengeExpiresAt = null)
    {
        var parsed = Check(text);
        var key = parsed.Key;
        var chosenLabel = ChooseLabel(label, key);
        var now = time.GetUtcNow();
        if (expiresAt is { } e && e <= now) throw KeyErrors.ExpiryPassed();
        var proven = !string.IsNullOrWhiteSpace(proof);
        if (proven) KeyProof.Verify(key, challenge ?? "", proof!);
        var spent = proven ? KeyProof.Spent(user, challenge ?? "", now, challengeExpiresAt ?? now + KeyProof.DefaultChallengeLifetime) : null;

        SshKey? takeOver = null;
        if (proven && await keys.FindKeyByFingerprintAsync(key.FingerprintSha256, cancellationToken) is { } held
            && held.UserId != user.Id && held.PossessionProvenAt is null)
            takeOver = held;
        else
            await ThrowIfRegisteredAsync(user, key.FingerprintSha256, cancellationToken);
        var entity = new SshKey
        {
            Uuid = Guid.NewGuid(),
            UserId = user.Id,
            Fingerprint = key.FingerprintSha256,
            PublicKey = key.ToOpenSshLine(includeComment: false),
            KeyType = key.KeyType,
            Bits = key.Bits,
            Label = chosenLabel,
            Comment = StoredComment(key),
            CreatedAt = now,
            ExpiresAt = expiresAt,
            Usage = usage,
            PossessionProvenAt = proven ? now : null,
        };
        if (takeOver is not null)
        {
            var loser = await users.FindByIdAsync(takeOver.UserId, cancellationToken) ?? throw KeyErrors.KeyInUse();
            var loserAudit = Audit(loser, AuditActions.KeyTakenOver, takeOver, Actor.System);
            loserAudit.Detail = "another account proved that it holds this key's private key; this account never had";
            var winnerAudit = Audit(user, AuditActions.KeyAdded, entity, actor);
            winnerAudit.Detail = "possession proven; the key was taken over from another account that had not proven it";
            await keys.TakeOverAsync(takeOver, entity, loserAudit, winnerAudit, spent!, cancellationToken);
            if (notifier is not null)
            {
                await notifier.KeyTakenOverAsync(loser, takeOver, now);
                await notifier.KeyAddedAsync(user, entity, actor, now);
            }
            return new AddedKey(entity, parsed);
        }
        try
        {
            // The store checks uniqueness again: the index is the real guard against a concurrent add.
            var added = Audit(user, AuditActions.KeyAdded, entity, actor);
            if (proven) added.Detail = "possession proven";
            await keys.AddAsync(entity, added, spent, cancellationToken);
        }
        catch (WharfException ex) when (ex.Code == KeyErrors.InUse)
        {
            // Lost a race: say whose it is as if we had seen it first.
            await ThrowIfRegisteredAsync(user, key.FingerprintSha256, cancellationToken);
            throw;
        }
        if (notifier is not null) await notifier.KeyAddedAsync(user, entity, actor, now);
        return new AddedKey(entity, parsed);
    }

    public Task<IReadOnlyList<SshKey>> ListAsync(User user, CancellationToken cancellationToken) => keys.ListAsync(user.Id, cancellationToken);

    public async Task<SshKey> GetAsync(User user, Guid uuid, CancellationToken cancellationToken) =>
        (await keys.ListAsync(user.Id, cancellationToken)).SingleOrDefault(k => k.Uuid == uuid)
        ?? throw KeyErrors.KeyNotFound("with id {" + uuid + "}");

    /// <summary>Finds one key of the user by its label (exact, case-sensitive) or its SHA256 fingerprint.</summary>
    public async Task<SshKey> FindAsync(User user, string? label, string? fingerprint, CancellationToken cancellationToken)
    {
        var all = await keys.ListAsync(user.Id, cancellationToken);
        if (fingerprint is not null)
        {
            var fp = fingerprint.Trim();
            if (!fp.StartsWith("SHA256:", StringComparison.Ordinal)) fp = "SHA256:" + fp;
            return all.SingleOrDefault(k => k.Fingerprint == fp) ?? throw KeyErrors.KeyNotFound("with fingerprint " + Display.Quote(fingerprint));
        }
        var matches = all.Where(k => k.Label == label).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw KeyErrors.KeyNotFound("labelled " + Display.Quote(label, MaxLabelLength)),
            _ => throw KeyErrors.AmbiguousLabel(label!, matches.Count),
        };
    }

    /// <summary>
    /// Changes the label only: the key itself never changes once added (delete and add again). No label (null)
    /// changes nothing; an empty label, or one another of the user's keys has, is refused.
    /// </summary>
    public async Task<SshKey> RelabelAsync(User user, SshKey key, string? label, Actor actor, CancellationToken cancellationToken)
    {
        if (label is null) return key;
        var chosen = ValidateNewLabel(label);
        if (chosen == key.Label) return key;
        if ((await keys.ListAsync(user.Id, cancellationToken)).Any(k => k.Uuid != key.Uuid && k.Label == chosen))
            throw KeyErrors.LabelTaken(chosen);
        await keys.UpdateLabelAsync(key, chosen, Audit(user, AuditActions.LabelChanged, key, actor, chosen), cancellationToken);
        key.Label = chosen;
        return key;
    }

    /// <summary>Changes what the key may be used for; null changes nothing. Recorded in the audit log and mailed to the owner.</summary>
    public async Task<SshKey> ChangeUsageAsync(User user, SshKey key, KeyUsage? usage, Actor actor, CancellationToken cancellationToken)
    {
        if (usage is not { } chosen || chosen == key.Usage) return key;
        var from = key.Usage;
        var audit = Audit(user, AuditActions.UsageChanged, key, actor);
        audit.Detail = $"{from.ToApi()} → {chosen.ToApi()}";
        await keys.UpdateUsageAsync(key, chosen, audit, cancellationToken);
        key.Usage = chosen;
        if (notifier is not null) await notifier.UsageChangedAsync(user, key, from, actor, time.GetUtcNow());
        return key;
    }

    /// <summary>The date a compromise report would record (now when null); refused when in the future or not earlier than one already recorded.</summary>
    public DateTimeOffset CheckCompromiseDate(SshKey key, DateTimeOffset? since)
    {
        var now = time.GetUtcNow();
        var date = since ?? now;
        if (date > now) throw KeyErrors.CompromisedInFuture();
        if (key.CompromisedSince is { } already && already <= date) throw KeyErrors.CompromisedAlready(already);
        return date;
    }

    /// <summary>
    /// Reports the key compromised since <paramref name="since"/> (now when null): from then on it neither logs in nor
    /// signs, and signature verdicts recorded with it since then read as revoked. A later report can only move the date
    /// earlier. Recorded in the audit log and mailed to the owner.
    /// </summary>
    public async Task<SshKey> ReportCompromisedAsync(User user, SshKey key, DateTimeOffset? since, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var date = CheckCompromiseDate(key, since);
        var day = date.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var audit = Audit(user, AuditActions.KeyCompromised, key, actor);
        audit.Detail = "compromised since " + date.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        await keys.MarkCompromisedAsync(key, date, Signatures.SignatureReasons.Revoked(day), Signatures.SignatureReasons.CompromisedLater(day), audit, cancellationToken);
        key.CompromisedSince = date;
        if (notifier is not null) await notifier.KeyCompromisedAsync(user, key, actor, now);
        return key;
    }

    /// <summary>
    /// Refuses a request to change a key's text: <paramref name="text"/> (from a request that relabels) may be
    /// absent, or the very key already stored (a client that sends back the object it read), nothing else.
    /// </summary>
    public static void RefuseKeyChange(string storedFingerprint, string? text)
    {
        if (text is null) return;
        string? fingerprint;
        try { fingerprint = PublicKeyText.Parse(text).Key.FingerprintSha256; }
        catch (SshKeyFormatException) { fingerprint = null; }
        if (fingerprint != storedFingerprint) throw KeyErrors.KeyUnchangeable();
    }

    public async Task RemoveAsync(User user, SshKey key, Actor actor, CancellationToken cancellationToken)
    {
        await keys.RemoveAsync(key, Audit(user, AuditActions.KeyDeleted, key, actor), cancellationToken);
        if (notifier is not null) await notifier.KeyRemovedAsync(user, key, actor, time.GetUtcNow());
    }

    private async Task ThrowIfRegisteredAsync(User user, string fingerprint, CancellationToken cancellationToken)
    {
        var existing = await keys.FindByFingerprintAsync(fingerprint, cancellationToken);
        if (existing is null)
        {
            // A repository's access key is someone else's as far as this account is concerned: not named.
            if (accessKeys is not null && await accessKeys.FindByFingerprintAsync(fingerprint, cancellationToken) is not null)
                throw KeyErrors.KeyInUse();
            return;
        }
        throw existing.UserId == user.Id ? KeyErrors.AlreadyYours(existing.Label) : KeyErrors.KeyInUse();
    }

    private AuditEntry Audit(User user, string action, SshKey key, Actor actor, string? label = null) => new()
    {
        UserId = user.Id,
        Action = action,
        KeyFingerprint = key.Fingerprint,
        KeyLabel = label ?? key.Label,
        Actor = actor.Name,
        SourceAddress = actor.SourceAddress,
        At = time.GetUtcNow(),
    };

    /// <summary>
    /// The comment as stored beside a key: each control character (<see cref="Display.HasUnsafe"/>) becomes a
    /// space, then it is trimmed and cut to a label's length; null when nothing is left. A comment is what a
    /// key generator wrote, not what the person typed here, so it is cleaned rather than refused: the key is
    /// still added, and no page, mail or terminal ever receives an escape sequence from it.
    /// </summary>
    public static string? StoredComment(SshPublicKey key)
    {
        if (key.Comment is null) return null;
        var clean = Display.Printable(key.Comment, ' ').Trim();
        return clean.Length == 0 ? null : Truncate(clean, MaxLabelLength);
    }

    /// <summary>The label a new key gets: the one given, else its (cleaned) comment, else one naming its type.</summary>
    public static string ChooseLabel(string? label, SshPublicKey key)
    {
        var chosen = ValidateLabel(label?.Trim() ?? "");
        return chosen.Length > 0 ? chosen : StoredComment(key) ?? DefaultLabel(key.KeyType);
    }

    /// <summary>A label given to rename a key: trimmed, and neither empty, too long nor holding control characters.</summary>
    public static string ValidateNewLabel(string label)
    {
        var chosen = ValidateLabel(label.Trim());
        return chosen.Length > 0 ? chosen : throw KeyErrors.LabelMissing();
    }

    private static string DefaultLabel(string keyType) => SshKeyTypes.IsKnown(keyType)
        ? keyType switch
        {
            SshKeyTypes.Ed25519 => "ed25519 key",
            SshKeyTypes.Rsa => "rsa key",
            SshKeyTypes.SkEd25519 => "ed25519-sk key",
            SshKeyTypes.SkEcdsaP256 => "ecdsa-sk key",
            _ => "ecdsa key",
        }
        : "key";

    public static string ValidateLabel(string label)
    {
        if (label.Length > MaxLabelLength) throw KeyErrors.LabelLength(MaxLabelLength);
        if (Display.HasUnsafe(label)) throw KeyErrors.LabelCharacters();
        return label;
    }

    // Never ends on half of a surrogate pair.
    private static string Truncate(string s, int max) =>
        s.Length <= max ? s : s[..(char.IsHighSurrogate(s[max - 1]) ? max - 1 : max)];
}
