using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Hg;
using Wharf.Core.Users;

namespace Wharf.Core.Repositories;

/// <summary>
/// Creating, listing, deleting repositories and granting people access to them, whatever the front end
/// (CLI, API, web). Callers open a repository through <see cref="RepositoryAccess"/> first; the methods
/// that change one take the level the caller was found to have and refuse below Admin.
/// </summary>
public sealed class RepositoryService(
    IRepositoryStore repositories, IUserStore users, WharfPaths paths, GitBinary git, HgBinary hg, TimeProvider time, RepositorySettings settings, Audit.IAuditLog audit)
{
    /// <summary>
    /// The file a creation keeps in its staging directory until the repository is recorded: "host NAME pid N since TIME",
    /// so that after a crash the server's recovery knows whether its creator is gone.
    /// </summary>
    public const string CreatingMarker = "wharf-creating";

    /// <summary>
    /// Creates the repository on disk and records it, in an order that a crash at any point leaves either nothing the
    /// service shows or a whole repository: the directory is built in a staging folder named by the repository's uuid, then
    /// recorded, then moved into place in one rename. A crash before the record leaves only a staging folder (removed by
    /// the server's recovery at start); one after it leaves a record whose directory is still in staging (moved into place
    /// by that recovery before anything is served). A failure removes what was made, record included.
    /// </summary>
    public async Task<RepositoryInfo> CreateAsync(RepositoryName name, CancellationToken cancellationToken, Scm scm = Scm.Git, bool isPrivate = true,
        Audit.Actor? actor = null)
    {
        var owner = await users.FindByNameAsync(name.Owner, cancellationToken) ?? throw UserService.UserNotFound(name.Owner);
        if (await repositories.FindAsync(owner.Name, name.Name, cancellationToken) is not null)
            throw RepositoryErrors.AlreadyExists($"{owner.Name}/{name.Name}");

        var target = paths.Repository(owner.Name, name.Name, scm);
        // The other kind's directory is checked too: names are unique per owner whatever the scm.
        foreach (var kind in new[] { Scm.Git, Scm.Hg })
            if (Directory.Exists(paths.Repository(owner.Name, name.Name, kind)))
                throw WharfException.AlreadyExists(
                    $"Repository '{owner.Name}/{name.Name}' has no record but its directory exists at {paths.Repository(owner.Name, name.Name, kind)}; move that directory away first.",
                    RepositoryErrors.Exists);

        var uuid = Guid.NewGuid();
        Directory.CreateDirectory(paths.RepositoriesStaging);
        var staging = Path.Combine(paths.RepositoriesStaging, uuid.ToString("N"));
        var marker = Path.Combine(staging, CreatingMarker);
        try
        {
            // The marker first: a crash during the init leaves a staging folder that says whose it was.
            Directory.CreateDirectory(staging);
            await File.WriteAllTextAsync(marker, HolderMark.ForThisProcess(time.GetUtcNow()), cancellationToken);
            if (scm == Scm.Hg) await hg.InitAsync(staging, cancellationToken);
            else await git.InitBareAsync(staging, cancellationToken, settings.DefaultBranch);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }

        var repository = new Repository
        {
            Uuid = uuid,
            OwnerId = owner.Id,
            Name = name.Name,
            LowerName = Names.Lower(name.Name),
            Scm = scm,
            IsPrivate = isPrivate,
            Path = target,
            CreatedAt = time.GetUtcNow(),
        };
        try
        {
            await repositories.AddAsync(repository, CancellationToken.None);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }

        try
        {
            File.Delete(marker);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another node's recovery may have moved it into place meanwhile; anything else undoes the creation.
            if (!Directory.Exists(target) || Directory.Exists(staging))
            {
                await repositories.RemoveAsync(repository.Id, CancellationToken.None);
                TryDelete(staging);
                throw;
            }
        }

        var created = new RepositoryInfo(repository.Id, owner.Id, owner.Name, repository.Name, target)
        {
            Uuid = repository.Uuid, OwnerUuid = owner.Uuid, Scm = scm, IsPrivate = isPrivate, CreatedAt = repository.CreatedAt,
        };
        await RecordAsync(created, Audit.AuditActions.RepositoryCreated, $"{scm.DisplayName()}, {(isPrivate ? "private" : "public")}", actor);
        return created;
    }

    /// <summary>What the user may see: owned, granted, public; administrators see everything.</summary>
    public Task<IReadOnlyList<RepositoryInfo>> ListVisibleAsync(User viewer, CancellationToken cancellationToken) =>
        repositories.ListVisibleAsync(viewer.Id, viewer.IsAdmin, cancellationToken);

    /// <summary>
    /// Deletes a repository: <paramref name="confirmation"/> must be its full name, as GitHub asks. The
    /// directory is first renamed into the trash (one atomic rename: nothing can half-serve it), then the
    /// record goes; if that fails the directory is put back. Only then is the trash emptied.
    /// </summary>
    public async Task DeleteAsync(RepositoryInfo repository, AccessLevel callerLevel, string? confirmation, CancellationToken cancellationToken,
        Audit.Actor? actor = null)
    {
        RequireAdmin(repository, callerLevel);
        if (!string.Equals(confirmation?.Trim(), repository.FullName, StringComparison.OrdinalIgnoreCase))
            throw RepositoryErrors.Confirmation(repository.FullName);

        Directory.CreateDirectory(paths.RepositoriesTrash);
        // Named by the uuid, so that the server's recovery can put it back if the record outlives a crash here.
        var trash = Path.Combine(paths.RepositoriesTrash, (repository.Uuid == Guid.Empty ? Guid.NewGuid() : repository.Uuid).ToString("N"));
        var moved = false;
        if (Directory.Exists(repository.Path))
        {
            Directory.Move(repository.Path, trash);
            moved = true;
        }
        try
        {
            await repositories.RemoveAsync(repository.Id, CancellationToken.None);
        }
        catch
        {
            if (moved) Directory.Move(trash, repository.Path);
            throw;
        }
        if (moved) TryDelete(trash);
        // Its Git LFS objects (Lfs.LfsObjectStore) go with it; no other repository shares them.
        if (repository.Uuid != Guid.Empty) TryDelete(Path.Combine(paths.Lfs, repository.Uuid.ToString("D")));
        await RecordAsync(repository, Audit.AuditActions.RepositoryDeleted, repository.FullName, actor);
    }

    /// <summary>Writes a repository event into its owner's audit log (the actor and address say who did it).</summary>
    private Task RecordAsync(RepositoryInfo repository, string action, string subject, Audit.Actor? actor) =>
        audit.AddAsync(Audit.AuditActions.Event(repository.OwnerId, action, subject, actor ?? Audit.Actor.Cli, time.GetUtcNow(), repository),
            CancellationToken.None);

    public async Task<IReadOnlyList<GrantInfo>> ListGrantsAsync(RepositoryInfo repository, AccessLevel callerLevel, CancellationToken cancellationToken)
    {
        RequireAdmin(repository, callerLevel);
        return await repositories.ListGrantsAsync(repository.Id, cancellationToken);
    }

    /// <summary>Grants or changes a user's permission. Returns the grant and whether it was new.</summary>
    public async Task<(GrantInfo Grant, bool Created)> SetGrantAsync(
        RepositoryInfo repository, AccessLevel callerLevel, string userNameOrUuid, string? permission, CancellationToken cancellationToken,
        Audit.Actor? actor = null)
    {
        RequireAdmin(repository, callerLevel);
        if (!AccessLevels.TryParseGrant(permission, out var level)) throw RepositoryErrors.Permission(permission);
        var user = await new UserService(users, time).GetByNameOrUuidAsync(userNameOrUuid, cancellationToken);
        if (user.Id == repository.OwnerId) throw RepositoryErrors.OwnerGrant(user.Name);
        var now = time.GetUtcNow();
        var created = await repositories.SetGrantAsync(repository.Id, user.Id, level, now, cancellationToken);
        var grant = (await repositories.ListGrantsAsync(repository.Id, cancellationToken)).Single(g => g.UserId == user.Id);
        await RecordAsync(repository, created ? Audit.AuditActions.GrantGiven : Audit.AuditActions.GrantChanged,
            $"{user.Name}: {level.ToApi()}", actor);
        return (grant, created);
    }

    public async Task RemoveGrantAsync(RepositoryInfo repository, AccessLevel callerLevel, string userNameOrUuid, CancellationToken cancellationToken,
        Audit.Actor? actor = null)
    {
        RequireAdmin(repository, callerLevel);
        var user = await new UserService(users, time).GetByNameOrUuidAsync(userNameOrUuid, cancellationToken);
        if (!await repositories.RemoveGrantAsync(repository.Id, user.Id, cancellationToken))
            throw RepositoryErrors.NoGrant(user.Name, repository.FullName);
        await RecordAsync(repository, Audit.AuditActions.GrantRemoved, user.Name, actor);
    }

    /// <summary>
    /// The branch a git repository's HEAD names, which clones check out, and whether it exists yet; null for a
    /// Mercurial repository (its default branch is always "default") or a detached HEAD.
    /// </summary>
    public async Task<DefaultBranch?> DefaultBranchAsync(RepositoryInfo repository, CancellationToken cancellationToken)
    {
        if (repository.Scm == Scm.Hg || GitBinary.HeadBranch(repository.Path) is not { } head) return null;
        var branches = GitBinary.Branches(await git.RefsAsync(repository.Path, cancellationToken));
        return new DefaultBranch(head, branches.Contains(head, StringComparer.Ordinal), branches);
    }

    /// <summary>
    /// Makes <paramref name="branch"/> the default branch (HEAD). Admin level; refused, changing nothing, for a
    /// Mercurial repository, a malformed name or a branch the repository does not have.
    /// </summary>
    public async Task SetDefaultBranchAsync(RepositoryInfo repository, AccessLevel callerLevel, string? branch, CancellationToken cancellationToken)
    {
        RequireAdmin(repository, callerLevel);
        if (repository.Scm == Scm.Hg) throw RepositoryErrors.DefaultBranchOfHg(repository.FullName);
        branch = branch?.Trim();
        if (!GitBranchName.IsValid(branch)) throw RepositoryErrors.BranchName(branch);
        if (!GitBinary.Branches(await git.RefsAsync(repository.Path, cancellationToken)).Contains(branch, StringComparer.Ordinal))
            throw RepositoryErrors.NoSuchBranch(branch!, repository.FullName);
        await git.SetHeadAsync(repository.Path, branch!, cancellationToken);
    }

    /// <summary>
    /// Turns "Require signed commits" on or off (Admin level, git repositories only): a push bringing a commit or
    /// annotated tag whose signature is not Verified is then refused by the pre-receive hook. A change is recorded in
    /// the owner's audit log with who made it; asking for the current state changes and records nothing.
    /// Returns whether the setting changed.
    /// </summary>
    public async Task<bool> SetRequireSignedCommitsAsync(RepositoryInfo repository, AccessLevel callerLevel, bool required, CancellationToken cancellationToken,
        Audit.Actor? actor = null)
    {
        RequireAdmin(repository, callerLevel);
        if (repository.Scm == Scm.Hg) throw RepositoryErrors.SignedCommitsOfHg(repository.FullName);
        if (repository.RequireSignedCommits == required) return false;
        await repositories.SetRequireSignedCommitsAsync(repository.Id, required, cancellationToken);
        await RecordAsync(repository, Audit.AuditActions.SignedCommitsChanged, $"Require signed commits: {(required ? "on" : "off")}", actor);
        return true;
    }

    /// <summary>
    /// After a push that changed the refs (<paramref name="refsBefore"/> and <paramref name="refsAfter"/> as
    /// <see cref="GitBinary.RefsAsync"/> gives them): when HEAD names a branch that does not exist, as in a new
    /// repository whose first push was not the configured default branch, HEAD moves to a branch that exists, as
    /// GitHub and Bitbucket do. Preferred: the configured default branch, then a branch this push created (the first
    /// by name), then any branch. Returns the new default branch, or null when HEAD was left alone.
    /// </summary>
    public async Task<string?> AdoptPushedBranchAsync(RepositoryInfo repository, string refsBefore, string refsAfter, CancellationToken cancellationToken)
    {
        if (repository.Scm == Scm.Hg) return null;
        var after = GitBinary.Branches(refsAfter);
        var head = GitBinary.HeadBranch(repository.Path);
        if (after.Count == 0 || (head is not null && after.Contains(head, StringComparer.Ordinal))) return null;
        var created = after.Except(GitBinary.Branches(refsBefore), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var chosen = after.Contains(settings.DefaultBranch, StringComparer.Ordinal) ? settings.DefaultBranch
            : created.Count > 0 ? created[0]
            : after.Order(StringComparer.Ordinal).First();
        await git.SetHeadAsync(repository.Path, chosen, cancellationToken);
        return chosen;
    }

    public static void RequireAdmin(RepositoryInfo repository, AccessLevel callerLevel)
    {
        if (callerLevel < AccessLevel.Admin) throw RepositoryErrors.Forbidden(repository.FullName, "admin");
    }

    private static void TryDelete(string directory)
    {
        // Best effort on a path that is already failing or already unlinked from the service.
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
