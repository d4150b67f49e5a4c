using Wharf.Core.Keys;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Web.Api;

/// <summary>Bitbucket writes UUIDs in braces; so does Wharf, everywhere in the API.</summary>
public static class ApiIds
{
    public static string Format(Guid uuid) => "{" + uuid.ToString("D") + "}";

    public static bool TryParse(string text, out Guid uuid) =>
        Guid.TryParse(text.StartsWith('{') && text.EndsWith('}') ? text[1..^1] : text, out uuid);
}

/// <summary>Bitbucket's <c>user</c> object, plus <c>is_admin</c> (left out where the caller may not know it).</summary>
public sealed record UserDto(string Type, string Uuid, string Username, string DisplayName, string Nickname, DateTimeOffset CreatedOn,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? IsAdmin)
{
    public static UserDto From(User u) => new("user", ApiIds.Format(u.Uuid), u.Name, u.Name, u.Name, u.CreatedAt, u.IsAdmin);

    /// <summary>Another account, as any signed-in caller sees it.</summary>
    public static UserDto Public(User u) => From(u) with { IsAdmin = null };
}

public sealed record FingerprintsDto(string Sha256, string Md5);

/// <summary>An SSH key as Bitbucket Cloud's <c>ssh_key</c> object, plus <c>key_type</c>, <c>bits</c> and <c>fingerprints</c>.</summary>
public sealed record SshKeyDto(
    string Type, string Uuid, string Key, string? Comment, string Label, DateTimeOffset CreatedOn, DateTimeOffset? LastUsed,
    DateTimeOffset? ExpiresOn, string Fingerprint, string KeyType, int Bits, FingerprintsDto Fingerprints,
    string UsageType, DateTimeOffset? CompromisedSince, bool PossessionProven)
{
    public static SshKeyDto From(SshKey k) => new("ssh_key", ApiIds.Format(k.Uuid), k.PublicKey, k.Comment, k.Label, k.CreatedAt, k.LastUsedAt,
        k.ExpiresAt, k.Fingerprint, k.KeyType, k.Bits, new FingerprintsDto(k.Fingerprint, SshPublicKey.ParseOpenSsh(k.PublicKey).FingerprintMd5),
        k.Usage.ToApi(), k.CompromisedSince, k.PossessionProvenAt is not null);
}

/// <summary>Bitbucket's paged list: <c>values</c>, <c>page</c>, <c>pagelen</c>, <c>size</c> and <c>next</c> when there is more.</summary>
public sealed record PageDto<T>(IReadOnlyList<T> Values, int Page, int Pagelen, int Size, string? Next);

public sealed record AddKeyRequest(string? Key, string? Label, string? ExpiresOn, string? UsageType = null)
{
    /// <summary>Shown in the error for a body that is not this JSON.</summary>
    public const string Example = """{"key": "ssh-ed25519 AAAA... you@host", "label": "laptop"}""";
}

/// <summary><c>key</c> is read only to refuse a change of the key (<see cref="SshKeyService.RefuseKeyChange"/>).</summary>
/// <c>usage_type</c> changes what the key is for; <c>compromised_since</c> (a date or time, not in the future) reports it compromised.
public sealed record UpdateKeyRequest(string? Label, string? Key, string? UsageType = null, string? CompromisedSince = null)
{
    public const string Example = """{"label": "new label"}""";
}

/// <summary>
/// The <c>signature</c> object of a commit (issue 13 point 4): <c>status</c> verified, unverified, revoked or unsigned, the
/// reason, the key (label, SHA256 fingerprint) and account it was checked against, and when (<c>verified_at</c>).
/// Built from <see cref="Core.Signatures.CommitSignatures.ForAsync"/>, which records a first check of a commit never pushed.
/// </summary>
public sealed record SignatureDto(string Status, string? Reason, SignatureKeyDto? Key, string? Account, DateTimeOffset VerifiedAt)
{
    public static SignatureDto From(Core.Signatures.CommitSignature v) => new(Core.Signatures.SignatureStatuses.ToApi(v.Status), v.Reason,
        v.KeyFingerprint is null ? null : new SignatureKeyDto(v.KeyLabel, v.KeyFingerprint), v.Account, v.VerifiedAt);
}

public sealed record SignatureKeyDto(string? Label, string Fingerprint);
