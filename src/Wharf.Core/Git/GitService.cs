using Wharf.Core.Access;

namespace Wharf.Core.Git;

/// <summary>The git programs a client may run over SSH.</summary>
public enum GitService
{
    /// <summary>fetch, clone, ls-remote.</summary>
    UploadPack,
    /// <summary>push.</summary>
    ReceivePack,
}

public static class GitServiceExtensions
{
    /// <summary>The <c>git</c> subcommand that serves this request.</summary>
    public static string Subcommand(this GitService service) => service switch
    {
        GitService.UploadPack => "upload-pack",
        GitService.ReceivePack => "receive-pack",
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    public static AccessLevel RequiredAccess(this GitService service) => service switch
    {
        GitService.UploadPack => AccessLevel.Read,
        GitService.ReceivePack => AccessLevel.Write,
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };
}
