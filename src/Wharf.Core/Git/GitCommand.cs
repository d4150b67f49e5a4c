using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Core.Git;

/// <summary>
/// An SSH exec request for git, parsed. No shell ever sees the client's command line: it is matched
/// against the few forms git clients send, and anything else is refused before a process starts.
/// </summary>
public sealed record GitCommand(GitService Service, RepositoryName Repository)
{
    // Far above any valid command (two names of at most 140 characters); bounds the work on hostile input.
    public const int MaxLength = 1024;

    /// <summary>
    /// Accepted forms, as sent by git's ssh transport (connect.c quotes the path with single quotes):
    /// <code>
    /// git-upload-pack 'OWNER/NAME.git'     git-receive-pack 'OWNER/NAME.git'
    /// git upload-pack 'OWNER/NAME.git'     (older clients and GIT_SSH_VARIANT=simple setups)
    /// </code>
    /// The path may start with one '/' (ssh:// URLs keep it), may omit '.git', and may be unquoted.
    /// Throws <see cref="WharfException"/> (InvalidArgument) for anything else.
    /// </summary>
    public static GitCommand Parse(string? commandLine)
    {
        if (string.IsNullOrWhiteSpace(commandLine))
            throw WharfException.InvalidArgument("No command given: Wharf runs only git-upload-pack and git-receive-pack over SSH.");
        if (commandLine.Length > MaxLength || commandLine.Any(char.IsControl))
            throw Unsupported(commandLine);

        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        GitService service;
        string? argument;
        switch (words)
        {
            case ["git-upload-pack", var a]: (service, argument) = (GitService.UploadPack, a); break;
            case ["git-receive-pack", var a]: (service, argument) = (GitService.ReceivePack, a); break;
            case ["git", "upload-pack", var a]: (service, argument) = (GitService.UploadPack, a); break;
            case ["git", "receive-pack", var a]: (service, argument) = (GitService.ReceivePack, a); break;
            case ["git-upload-pack" or "git-receive-pack", ..] or ["git", "upload-pack" or "receive-pack", ..]:
                throw WharfException.InvalidArgument("Expected exactly one repository path, such as 'OWNER/NAME.git'.");
            default: throw Unsupported(commandLine);
        }
        return new GitCommand(service, ParsePath(argument));
    }

    private static RepositoryName ParsePath(string argument)
    {
        var path = argument;
        if (path.Length >= 2 && path[0] == '\'' && path[^1] == '\'') path = path[1..^1];
        // Everything that could steer a program or a file system is refused by the name alphabet
        // (quotes, '$', ';', '|', '`', '\\', '~', spaces, a leading '-', '..'); the checks below only
        // make the refusal say why.
        if (path.StartsWith('-'))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: options are not accepted.");
        if (path.StartsWith('/')) path = path[1..];
        if (path.Split('/').Any(segment => segment is ".." or "."))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: '.' and '..' are not allowed.");
        if (!RepositoryName.TryParse(path, out var name))
            throw WharfException.InvalidArgument($"Invalid repository path {Display.Quote(argument)}: expected 'OWNER/NAME.git'.");
        return name;
    }

    private static WharfException Unsupported(string commandLine) =>
        WharfException.InvalidArgument($"Unsupported command {Display.Quote(commandLine)}: Wharf runs only git-upload-pack and git-receive-pack over SSH.");
}
