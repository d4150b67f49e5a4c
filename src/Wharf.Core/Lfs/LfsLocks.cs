using System.Globalization;
using Wharf.Core.Access;
using Wharf.Core.Errors;

namespace Wharf.Core.Lfs;

/// <summary>
/// The rules of LFS locks (git-lfs docs/api/locking.md), shared by the SSH protocol and the HTTP API: anyone who can
/// read the repository lists and verifies locks; creating and removing one needs write access; a lock is removed by its
/// owner, or by someone else only with <c>force</c> and admin access to the repository.
/// </summary>
public sealed class LfsLocks(ILfsLockStore store, TimeProvider time)
{
    public const int MaxPathLength = 1024;
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public const string PathInvalidCode = "lfs-lock-path-invalid";
    public const string ExistsCode = "lfs-lock-exists";
    public const string NotFoundCode = "lfs-lock-not-found";
    public const string NotOwnerCode = "lfs-lock-not-owner";

    public async Task<LfsLockResult> CreateAsync(long repositoryId, long userId, AccessLevel level, string? path, CancellationToken cancellationToken)
    {
        if (level < AccessLevel.Write) return Refused(403, "You need write access to this repository to lock files.");
        if (string.IsNullOrEmpty(path) || path.Length > MaxPathLength || Display.HasUnsafe(path))
            return Refused(400, $"Invalid lock path {Display.Quote(path, 80)}: a path of at most {MaxPathLength} printable characters is needed.");
        var (view, created) = await store.CreateAsync(repositoryId, path, userId, time.GetUtcNow(), cancellationToken);
        return created ? new LfsLockResult(201, view) : new LfsLockResult(409, view, Message: $"{path} is already locked by {view.OwnerName}.");
    }

    public async Task<LfsLockResult> DeleteAsync(long repositoryId, long userId, AccessLevel level, string? id, bool force, CancellationToken cancellationToken)
    {
        if (level < AccessLevel.Write) return Refused(403, "You need write access to this repository to unlock files.");
        var found = ParseId(id) is { } number ? await store.FindAsync(repositoryId, number, cancellationToken) : null;
        if (found is null) return Refused(404, $"Lock {Display.Quote(id, 40)} does not exist.");
        if (found.OwnerId != userId)
        {
            if (!force) return Refused(403, $"{found.Path} is locked by {found.OwnerName}: only they can unlock it, or an administrator of the repository with --force.");
            if (level < AccessLevel.Admin) return Refused(403, $"{found.Path} is locked by {found.OwnerName}: forcing an unlock needs admin access to the repository.");
        }
        await store.DeleteAsync(repositoryId, long.Parse(found.Id, CultureInfo.InvariantCulture), cancellationToken);
        return new LfsLockResult(200, found);
    }

    /// <summary>A page of locks; <c>NextCursor</c> names where the next page starts.</summary>
    public async Task<LfsLockResult> ListAsync(long repositoryId, string? path, string? id, string? cursor, string? limit, CancellationToken cancellationToken)
    {
        var count = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            return Refused(400, $"Invalid limit {Display.Quote(limit, 20)}: expected a whole number from 1.");
        count = Math.Min(count, MaxLimit);
        long after = 0;
        if (!string.IsNullOrEmpty(cursor) && ParseId(cursor) is not { } start) return Refused(400, $"Invalid cursor {Display.Quote(cursor, 40)}.");
        else if (!string.IsNullOrEmpty(cursor)) after = ParseId(cursor)!.Value - 1;
        long? only = null;
        if (!string.IsNullOrEmpty(id))
        {
            only = ParseId(id);
            if (only is null) return new LfsLockResult(200, List: []);
        }
        var page = await store.ListAsync(repositoryId, string.IsNullOrEmpty(path) ? null : path, only, after, count + 1, cancellationToken);
        return page.Count > count
            ? new LfsLockResult(200, List: page.Take(count).ToList(), NextCursor: page[count].Id)
            : new LfsLockResult(200, List: page);
    }

    private static long? ParseId(string? id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static LfsLockResult Refused(int status, string message) => new(status, Message: message);
}
