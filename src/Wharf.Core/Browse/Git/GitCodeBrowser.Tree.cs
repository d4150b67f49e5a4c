using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

public sealed partial class GitCodeBrowser
{
    public Task<IReadOnlyList<RefInfo>> RefsAsync(RepositoryInfo repository, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<RefPath?> ResolveAsync(RepositoryInfo repository, string refAndPath, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<TreeListing?> TreeAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<FileContent?> FileAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken) => throw new NotImplementedException();
    public Task<bool> CopyFileAsync(RepositoryInfo repository, string commit, string path, Stream destination, CancellationToken cancellationToken) => throw new NotImplementedException();
}
