using Wharf.Core.AccessKeys;
using Wharf.Core.Audit;
using Wharf.Core.Repositories;

namespace Wharf.Server.Ssh;

/// <summary>
/// The audit entries of what is done to a repository's content (pushes, LFS uploads, LFS locks), over SSH and HTTP alike:
/// in the acting account's log with the key's label, or over HTTP the API token's name, where the label goes; an access
/// key's go in the repository owner's log. The repository page lists the pushes among them.
/// </summary>
public static class RepositoryAudit
{
    public static async Task RecordAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, string action,
        string? sourceAddress, string? detail, DateTimeOffset at)
    {
        var (userId, actor, label) = identity switch
        {
            WharfPrincipal user => (user.UserId, user.Name, user.KeyLabel),
            // Over HTTP the credential is an API token: its name stands where a key's label would.
            TokenPrincipal token => (token.UserId, token.Name, token.TokenName),
            // An access key has no account: its entries go in the repository owner's log.
            AccessKeyPrincipal key => (repository.OwnerId, "access key",
                (await services.GetRequiredService<IAccessKeyStore>().ListAsync(repository.Id, CancellationToken.None))
                    .FirstOrDefault(k => k.AccessKeyId == key.AccessKeyId)?.Label ?? ""),
            _ => throw new InvalidOperationException("Unknown identity."),
        };
        await services.GetRequiredService<IAuditLog>().AddAsync(new AuditEntry
        {
            UserId = userId,
            Action = action,
            KeyFingerprint = identity.KeyFingerprint,
            KeyLabel = label,
            Actor = identity is AccessKeyPrincipal ? $"access key '{label}'" : actor,
            SourceAddress = sourceAddress,
            At = at,
            RepositoryId = repository.Id,
            Repository = repository.FullName,
            Detail = AuditEntry.FitDetail(detail),
        }, CancellationToken.None);
    }

    /// <summary>The detail of an LFS upload: <c>OID (SIZE bytes)</c>.</summary>
    public static string LfsObject(string oid, long size) => $"{oid} ({size.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes)";

    /// <summary>The detail of a lock or unlock: <c>PATH (lock ID)</c>, and for someone else's lock removed by force, its owner.</summary>
    public static string LfsLock(Core.Lfs.LfsLockView view, long actingUserId) =>
        $"{view.Path} (lock {view.Id})" + (view.OwnerId != actingUserId ? $", held by {view.OwnerName}" : "");

    /// <summary>Records a successful lock or unlock result (201 or 200 with a lock); refusals are not recorded.</summary>
    public static Task RecordLockAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, bool unlock,
        Core.Lfs.LfsLockResult result, long actingUserId, string? sourceAddress, TimeProvider time) =>
        result is { Lock: { } view, Status: 200 or 201 }
            ? RecordAsync(services, identity, repository, unlock ? AuditActions.LfsUnlock : AuditActions.LfsLock, sourceAddress,
                LfsLock(view, actingUserId), time.GetUtcNow())
            : Task.CompletedTask;
}
