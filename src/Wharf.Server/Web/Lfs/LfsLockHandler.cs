using Wharf.Core.Access;
using Wharf.Core.Lfs;
using Wharf.Core.Repositories;
using Wharf.Server.Ssh;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// The locks of one repository for one account on one git-lfs-transfer connection. The caller's level is asked of
/// <see cref="RepositoryAccess"/> again for every request, so a grant taken away meanwhile counts at once. Locks taken and
/// removed are audited (<see cref="RepositoryAudit"/>) with the key that did it.
/// </summary>
public sealed class LfsLockHandler(IServiceScopeFactory scopes, RepositoryInfo repository, WharfPrincipal user, string? sourceAddress) : ILfsLockHandler
{
    private async Task<LfsLockResult> WithAsync(Func<LfsLocks, AccessLevel, Task<LfsLockResult>> action, bool? unlock, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var level = await services.GetRequiredService<RepositoryAccess>().LevelAsync(user.Subject, repository, cancellationToken);
        var result = await action(services.GetRequiredService<LfsLocks>(), level);
        if (unlock is { } removing)
            await RepositoryAudit.RecordLockAsync(services, user, repository, removing, result, user.UserId, sourceAddress, services.GetRequiredService<TimeProvider>());
        return result;
    }

    public Task<LfsLockResult> CreateAsync(string? path, CancellationToken cancellationToken) =>
        WithAsync((locks, level) => locks.CreateAsync(repository.Id, user.UserId, level, path, cancellationToken), false, cancellationToken);

    public Task<LfsLockResult> DeleteAsync(string id, bool force, CancellationToken cancellationToken) =>
        WithAsync((locks, level) => locks.DeleteAsync(repository.Id, user.UserId, level, id, force, cancellationToken), true, cancellationToken);

    public Task<LfsLockResult> ListAsync(string? path, string? id, string? cursor, string? limit, CancellationToken cancellationToken) =>
        WithAsync((locks, _) => locks.ListAsync(repository.Id, path, id, cursor, limit, cancellationToken), null, cancellationToken);

    public bool IsOurs(LfsLockView item) => item.OwnerId == user.UserId;
}
