using Wharf.Core.Access;
using Wharf.Core.Lfs;
using Wharf.Core.Repositories;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// The locks of one repository for one account on one git-lfs-transfer connection. The caller's level is asked of
/// <see cref="RepositoryAccess"/> again for every request, so a grant taken away meanwhile counts at once.
/// </summary>
public sealed class LfsLockHandler(IServiceScopeFactory scopes, RepositoryInfo repository, long userId, bool isAdmin) : ILfsLockHandler
{
    private async Task<LfsLockResult> WithAsync(Func<LfsLocks, AccessLevel, Task<LfsLockResult>> action, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var level = await services.GetRequiredService<RepositoryAccess>().LevelAsync(AccessSubject.ForUser(userId, isAdmin), repository, cancellationToken);
        return await action(services.GetRequiredService<LfsLocks>(), level);
    }

    public Task<LfsLockResult> CreateAsync(string? path, CancellationToken cancellationToken) =>
        WithAsync((locks, level) => locks.CreateAsync(repository.Id, userId, level, path, cancellationToken), cancellationToken);

    public Task<LfsLockResult> DeleteAsync(string id, bool force, CancellationToken cancellationToken) =>
        WithAsync((locks, level) => locks.DeleteAsync(repository.Id, userId, level, id, force, cancellationToken), cancellationToken);

    public Task<LfsLockResult> ListAsync(string? path, string? id, string? cursor, string? limit, CancellationToken cancellationToken) =>
        WithAsync((locks, _) => locks.ListAsync(repository.Id, path, id, cursor, limit, cancellationToken), cancellationToken);

    public bool IsOurs(LfsLockView item) => item.OwnerId == userId;
}
