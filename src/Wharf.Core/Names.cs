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

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
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
