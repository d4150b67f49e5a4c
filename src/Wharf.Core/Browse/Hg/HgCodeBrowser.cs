using Wharf.Core.Hg;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

/// <summary><see cref="ICodeBrowser"/> for Mercurial repositories.</summary>
public sealed class HgCodeBrowser(HgBinary hg, BrowseLimits limits) : ICodeBrowser
{
    public Scm Scm => Scm.Hg;

    private HgBinary Hg => hg;
    private BrowseLimits Limits => limits;

    public Task<IReadOnlyList<RefInfo>> RefsAsync(RepositoryInfo repository, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<RefPath?> ResolveAsync(RepositoryInfo repository, string refAndPath, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<TreeListing?> TreeAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<FileContent?> FileAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<bool> CopyFileAsync(RepositoryInfo repository, string commit, string path, Stream destination, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<CommitList> CommitsAsync(RepositoryInfo repository, string revision, string? path, int skip, int take, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<CommitDetail?> CommitAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<Diff?> DiffAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<bool> CopyPatchAsync(RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<AheadBehind?> AheadBehindAsync(RepositoryInfo repository, string commit, string baseCommit, CancellationToken cancellationToken) => throw new NotImplementedException();
}
