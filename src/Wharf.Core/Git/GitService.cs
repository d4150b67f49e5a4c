namespace Wharf.Core.Git;

/// <summary>The git programs a client may run over SSH.</summary>
public enum GitService
{
    /// <summary>fetch, clone, ls-remote.</summary>
    UploadPack,
    /// <summary>push.</summary>
    ReceivePack,
    /// <summary>git archive --remote.</summary>
    UploadArchive,
}

public static class GitServiceExtensions
{
    /// <summary>The <c>git</c> subcommand that serves this request.</summary>
    public static string Subcommand(this GitService service) => service switch
    {
        GitService.UploadPack => "upload-pack",
        GitService.ReceivePack => "receive-pack",
        GitService.UploadArchive => "upload-archive",
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    public static GitService? ForOperation(RepositoryOperation operation) => operation switch
    {
        RepositoryOperation.GitUploadPack => GitService.UploadPack,
        RepositoryOperation.GitReceivePack => GitService.ReceivePack,
        RepositoryOperation.GitUploadArchive => GitService.UploadArchive,
        _ => null,
    };
}
