namespace Wharf.Core.Git;

/// <summary>
/// Which names git accepts for a branch: the rules of <c>git check-ref-format --branch</c> for
/// <c>refs/heads/NAME</c>, checked here so that a bad name is refused with a message before git runs.
/// </summary>
public static class GitBranchName
{
    /// <summary>Longer names are refused: git has no limit, but a branch name is shown on pages and in the API.</summary>
    public const int MaxLength = 255;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength) return false;
        // "-x" reads as an option; "HEAD" and "@" name other things to git.
        if (name[0] == '-' || name is "HEAD" or "@") return false;
        if (name.EndsWith('/') || name.EndsWith('.') || name.Contains("..", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal))
            return false;
        foreach (var c in name)
            if (char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
                return false;
        foreach (var part in name.Split('/'))
            if (part.Length == 0 || part[0] == '.' || part.EndsWith(".lock", StringComparison.Ordinal))
                return false;
        return true;
    }
}
