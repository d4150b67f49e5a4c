using System.Text.RegularExpressions;
using Wharf.Core.Errors;

namespace Wharf.Core;

/// <summary>
/// The one rule for user and repository names. Names become directory names and appear in git URLs and
/// SSH exec commands, so the alphabet is kept to what needs no quoting anywhere: letters, digits, '-', '_'
/// and '.', starting with a letter or digit (so never '.', '..' or an option like '-x'). Names are unique
/// without regard to case; <see cref="Lower"/> is the key that is stored and compared.
/// </summary>
public static partial class Names
{
    public const int MaxUserNameLength = 40;   // GitHub's limit is 39; Gitea's is 40.
    public const int MaxRepositoryNameLength = 100; // GitHub and Gitea both use 100.

    // \z, not $: in .NET, $ also matches before a final line break, so "site\n" would pass.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Alphabet();

    public static string Lower(string name) => name.ToLowerInvariant();

    public static bool IsValidUserName(string? name) => IsValid(name, MaxUserNameLength);
    public static bool IsValidRepositoryName(string? name) => IsValid(name, MaxRepositoryNameLength);

    public static void ValidateUserName(string? name)
    {
        if (!IsValidUserName(name))
            throw WharfException.InvalidArgument(
                $"Invalid user name {Display.Quote(name)}: use 1 to {MaxUserNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit.");
    }

    /// <summary>
    /// The first path segments of the web server's own pages and files. Repository pages live at
    /// <c>/OWNER/NAME</c>, so an account named like one of these would have pages the server's own routes
    /// shadow (<c>/account/tokens</c> is never alice's repository "tokens"). A few more are kept for pages to
    /// come. Compared without regard to case, like every name.
    /// </summary>
    public static readonly IReadOnlySet<string> ReservedUserNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "2.0", "account", "admin", "api", "healthz", "new", "repositories", "settings", "signin", "signout", "signup",
        "static", "user", "users",
    };

    /// <summary>Refuses a new account name the web pages could not serve (<see cref="ReservedUserNames"/>).</summary>
    public static void RefuseReservedUserName(string name)
    {
        if (ReservedUserNames.Contains(name))
            throw WharfException.InvalidArgument(
                $"The user name {Display.Quote(name)} is reserved: it is part of Wharf's own web addresses. Choose another name.");
    }

    public static void ValidateRepositoryName(string? name)
    {
        if (!IsValidRepositoryName(name))
            throw WharfException.InvalidArgument(
                $"Invalid repository name {Display.Quote(name)}: use 1 to {MaxRepositoryNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.",
                Repositories.RepositoryErrors.InvalidName);
    }

    private static bool IsValid(string? name, int maxLength) =>
        name is not null
        && name.Length <= maxLength
        && Alphabet().IsMatch(name)
        // ".." anywhere is refused too: harmless inside one path segment, but it reads like traversal
        // in logs and URLs, and git itself refuses it in ref names.
        && !name.Contains("..", StringComparison.Ordinal)
        // The ".git" suffix belongs to the directory on disk, not to the name.
        && !name.EndsWith(".git", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith('.');
}
