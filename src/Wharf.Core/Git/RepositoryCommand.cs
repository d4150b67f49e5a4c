using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Core.Git;

/// <summary>The programs a client may run over SSH, each on one repository.</summary>
public enum RepositoryOperation
{
    /// <summary>git fetch, clone, ls-remote.</summary>
    GitUploadPack,
    /// <summary>git push.</summary>
    GitReceivePack,
    /// <summary>git archive --remote.</summary>
    GitUploadArchive,
    /// <summary>Mercurial's ssh protocol: pulls, and pushes where the caller may write (hooks refuse them otherwise).</summary>
    HgServe,
    /// <summary>git-lfs's pure SSH protocol, fetching objects (<see cref="Lfs.LfsTransfer"/>).</summary>
    LfsTransferDownload,
    /// <summary>git-lfs's pure SSH protocol, storing objects.</summary>
    LfsTransferUpload,
    /// <summary>git-lfs's hybrid protocol: a short-lived header for the HTTP LFS API, to download.</summary>
    LfsAuthenticateDownload,
    /// <summary>The same, to upload.</summary>
    LfsAuthenticateUpload,
}

/// <summary>
/// An SSH exec request, parsed. No shell ever sees the client's command line: it is matched against the
/// few forms git and Mercurial clients send, and anything else is refused before a process starts.
/// </summary>
public sealed record RepositoryCommand(RepositoryOperation Operation, RepositoryName Repository)
{
    // Far above any valid command (two names of at most 140 characters); bounds the work on hostile input.
    public const int MaxLength = 1024;

    public const string Supported = "Wharf runs only git-upload-pack, git-receive-pack, git-upload-archive, git-lfs-transfer, git-lfs-authenticate and hg -R OWNER/NAME serve --stdio over SSH.";

    public Scm Scm => Operation == RepositoryOperation.HgServe ? Scm.Hg : Scm.Git;

    /// <summary>What the caller must hold before anything runs. Mercurial pushes are refused later, by hooks, below Write.</summary>
    public AccessLevel RequiredAccess => Operation is RepositoryOperation.GitReceivePack or RepositoryOperation.LfsTransferUpload
        or RepositoryOperation.LfsAuthenticateUpload ? AccessLevel.Write : AccessLevel.Read;

    /// <summary>
    /// Accepted forms:
    /// <code>
    /// git-upload-pack 'OWNER/NAME.git'       sent by git's ssh transport (connect.c single-quotes the path)
    /// git-receive-pack 'OWNER/NAME.git'
    /// git-upload-archive 'OWNER/NAME.git'    git archive --remote
    /// git upload-pack 'OWNER/NAME.git'       older clients, GIT_SSH_VARIANT=simple setups
    /// hg -R OWNER/NAME serve --stdio         Mercurial's sshpeer, exactly
    /// git-lfs-transfer OWNER/NAME.git upload|download       git-lfs 3's pure SSH protocol
    /// git-lfs-authenticate OWNER/NAME.git upload|download   git-lfs's hybrid protocol (a header for HTTP)
    /// </code>
    /// The path may be single- or double-quoted, may start with '/' (ssh:// URLs keep it) or '~/', and may
    /// omit '.git'. Throws <see cref="WharfException"/> (InvalidArgument) for anything else: an unknown command
    /// gets <see cref="Unknown"/>, which points at <paramref name="helpCommand"/> (<c>ssh git@HOST help</c> as the
    /// user would type it for this server).
    /// </summary>
    public static RepositoryCommand Parse(string? commandLine, string helpCommand)
    {
        if (string.IsNullOrWhiteSpace(commandLine))
            throw WharfException.InvalidArgument("No command given: " + Supported);
        if (commandLine.Length > MaxLength || commandLine.Any(char.IsControl))
            throw Unknown(commandLine, helpCommand);

        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // "git upload-pack X" is the same request as "git-upload-pack X".
        if (words is ["git", "upload-pack" or "receive-pack" or "upload-archive", ..]) words = ["git-" + words[1], .. words[2..]];
        return words switch
        {
            ["git-upload-pack", var a] => new(RepositoryOperation.GitUploadPack, ParsePath(a)),
            ["git-receive-pack", var a] => new(RepositoryOperation.GitReceivePack, ParsePath(a)),
            ["git-upload-archive", var a] => new(RepositoryOperation.GitUploadArchive, ParsePath(a)),
            ["hg", "-R", var a, "serve", "--stdio"] => new(RepositoryOperation.HgServe, ParsePath(a)),
            ["git-lfs-transfer", var a, "download"] => new(RepositoryOperation.LfsTransferDownload, ParsePath(a)),
            ["git-lfs-transfer", var a, "upload"] => new(RepositoryOperation.LfsTransferUpload, ParsePath(a)),
            ["git-lfs-authenticate", var a, "download"] => new(RepositoryOperation.LfsAuthenticateDownload, ParsePath(a)),
            ["git-lfs-authenticate", var a, "upload"] => new(RepositoryOperation.LfsAuthenticateUpload, ParsePath(a)),
            ["git-lfs-transfer" or "git-lfs-authenticate", ..] => throw WharfException.InvalidArgument(
                $"Expected '{words[0]} OWNER/NAME.git upload' or '{words[0]} OWNER/NAME.git download'."),
            ["git-upload-pack" or "git-receive-pack" or "git-upload-archive", ..] =>
                throw WharfException.InvalidArgument("Expected exactly one repository path, such as 'OWNER/NAME.git'."),
            ["hg", ..] => throw WharfException.InvalidArgument(
                $"Unsupported Mercurial command {Display.Quote(commandLine)}: Wharf runs only 'hg -R OWNER/NAME serve --stdio'."),
            _ => throw Unknown(commandLine, helpCommand),
        };
    }

    private static RepositoryName ParsePath(string argument)
    {
        var path = argument;
        if (path.Length >= 2 && ((path[0] == '\'' && path[^1] == '\'') || (path[0] == '"' && path[^1] == '"'))) path = path[1..^1];
        // Everything that could steer a program or a file system is refused by the name alphabet
        // (quotes, '$', ';', '|', '`', '\\', '~' inside, spaces, a leading '-', '..'); the checks below only
        // make the refusal say why.
        if (path.StartsWith('-'))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: options are not accepted.");
        if (path.StartsWith("~/", StringComparison.Ordinal)) path = path[2..];
        else if (path.StartsWith('/')) path = path[1..];
        if (path.Split('/').Any(segment => segment is ".." or "."))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: '.' and '..' are not allowed.");
        if (!RepositoryName.TryParse(path, out var name))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: expected 'OWNER/NAME.git'.");
        return name;
    }

    /// <summary>The <c>code</c> of <see cref="Unknown"/>.</summary>
    public const string UnknownCode = "unknown-command";

    /// <summary>The refusal of any command Wharf does not know: the line as typed (cut and made printable) and where to look.</summary>
    public static WharfException Unknown(string commandLine, string helpCommand) =>
        WharfException.InvalidArgument($"Unknown command {Display.Quote(commandLine)}. Try '{helpCommand}'.", UnknownCode);
}
