using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

public sealed partial class GitCodeBrowser
{
    public Task<CommitList> CommitsAsync(RepositoryInfo repository, string revision, string? path, int skip, int take, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<CommitDetail?> CommitAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<Diff?> DiffAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<bool> CopyPatchAsync(RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<AheadBehind?> AheadBehindAsync(RepositoryInfo repository, string commit, string baseCommit, CancellationToken cancellationToken) => throw new NotImplementedException();
}
