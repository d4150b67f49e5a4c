using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;

namespace Wharf.Core.AccessKeys;

/// <summary>
/// Repository access keys, whatever the front end: the same reader and policy as account keys
/// (<see cref="SshKeyService.Check"/>), the same label rules, and one rule of their own: a key is either
/// a person's or repositories', never both, so a login with it always means one thing.
/// </summary>
public sealed class AccessKeyService(IAccessKeyStore accessKeys, ISshKeyStore accountKeys, SshKeyService keyReader, TimeProvider time, Audit.IAuditLog audit)
{
    public async Task<AccessKeyInfo> AddAsync(RepositoryInfo repository, AccessLevel callerLevel, string? text, string? label, bool canWrite,
        CancellationToken cancellationToken, Audit.Actor? actor = null)
    {
        RepositoryService.RequireAdmin(repository, callerLevel);
        var parsed = keyReader.Check(text);
        var key = parsed.Key;
        var chosen = SshKeyService.ChooseLabel(label, key);
        if (await accountKeys.FindByFingerprintAsync(key.FingerprintSha256, cancellationToken) is not null)
            throw AccessKeyErrors.AccountKey();
        var existing = (await accessKeys.ListAsync(repository.Id, cancellationToken)).FirstOrDefault(k => k.Fingerprint == key.FingerprintSha256);
        if (existing is not null) throw AccessKeyErrors.Duplicate(repository.FullName, existing.Label);

        var now = time.GetUtcNow();
        var material = new AccessKey
        {
            Fingerprint = key.FingerprintSha256,
            PublicKey = key.ToOpenSshLine(includeComment: false),
            KeyType = key.KeyType,
            Bits = key.Bits,
            Comment = SshKeyService.StoredComment(key),
            CreatedAt = now,
        };
        var added = await accessKeys.AddAsync(repository.Id, material, chosen, canWrite, now, cancellationToken);
        // A concurrent account-key add of the same key may have slipped in between the check and the insert;
        // undo ours rather than leave one key meaning two things.
        if (await accountKeys.FindByFingerprintAsync(key.FingerprintSha256, cancellationToken) is not null)
        {
            await accessKeys.RemoveAsync(repository.Id, added.Id, CancellationToken.None);
            throw AccessKeyErrors.AccountKey();
        }
        await audit.AddAsync(Audit.AuditActions.Event(repository.OwnerId, Audit.AuditActions.AccessKeyAdded,
            $"{added.Label} ({(canWrite ? "read-write" : "read-only")})", actor ?? Audit.Actor.Cli, now, repository, added.Fingerprint), CancellationToken.None);
        return added;
    }

    public async Task<IReadOnlyList<AccessKeyInfo>> ListAsync(RepositoryInfo repository, AccessLevel callerLevel, CancellationToken cancellationToken)
    {
        RepositoryService.RequireAdmin(repository, callerLevel);
        return await accessKeys.ListAsync(repository.Id, cancellationToken);
    }

    public async Task<AccessKeyInfo> GetAsync(RepositoryInfo repository, AccessLevel callerLevel, string id, CancellationToken cancellationToken)
    {
        var all = await ListAsync(repository, callerLevel, cancellationToken);
        return long.TryParse(id, out var n) && all.FirstOrDefault(k => k.Id == n) is { } found
            ? found
            : throw AccessKeyErrors.KeyNotFound(repository.FullName, id);
    }

    /// <summary>
    /// Changes the label and, when given, the write flag; the key itself never changes once added. No label
    /// (null) keeps the label; an empty one, or one another access key of the repository has, is refused.
    /// </summary>
    public async Task<AccessKeyInfo> UpdateAsync(RepositoryInfo repository, AccessLevel callerLevel, string id, string? label, bool? canWrite,
        CancellationToken cancellationToken)
    {
        var key = await GetAsync(repository, callerLevel, id, cancellationToken);
        var chosen = label is null ? key.Label : SshKeyService.ValidateNewLabel(label);
        if (chosen != key.Label && (await accessKeys.ListAsync(repository.Id, cancellationToken)).Any(k => k.Id != key.Id && k.Label == chosen))
            throw AccessKeyErrors.LabelTaken(repository.FullName, chosen);
        var write = canWrite ?? key.CanWrite;
        if (!await accessKeys.UpdateAsync(repository.Id, key.Id, chosen, write, cancellationToken))
            throw AccessKeyErrors.KeyNotFound(repository.FullName, id);
        return key with { Label = chosen, CanWrite = write };
    }

    public async Task RemoveAsync(RepositoryInfo repository, AccessLevel callerLevel, string id, CancellationToken cancellationToken,
        Audit.Actor? actor = null)
    {
        var key = await GetAsync(repository, callerLevel, id, cancellationToken);
        if (!await accessKeys.RemoveAsync(repository.Id, key.Id, cancellationToken))
            throw AccessKeyErrors.KeyNotFound(repository.FullName, id);
        await audit.AddAsync(Audit.AuditActions.Event(repository.OwnerId, Audit.AuditActions.AccessKeyRemoved, key.Label,
            actor ?? Audit.Actor.Cli, time.GetUtcNow(), repository, key.Fingerprint), CancellationToken.None);
    }
}
