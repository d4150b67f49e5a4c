using Wharf.Core.Errors;

namespace Wharf.Core.Repositories;

/// <summary>An <c>OWNER/NAME</c> pair as people type it; one trailing <c>.git</c> is tolerated and dropped.</summary>
public readonly record struct RepositoryName(string Owner, string Name)
{
    public override string ToString() => $"{Owner}/{Name}";

    public static bool TryParse(string? text, out RepositoryName name)
    {
        name = default;
        if (text is null) return false;
        var slash = text.IndexOf('/');
        if (slash < 0 || slash != text.LastIndexOf('/')) return false;
        var owner = text[..slash];
        var repo = text[(slash + 1)..];
        if (repo.EndsWith(".git", StringComparison.Ordinal)) repo = repo[..^4];
        if (!Names.IsValidUserName(owner) || !Names.IsValidRepositoryName(repo)) return false;
        name = new RepositoryName(owner, repo);
        return true;
    }

    public static RepositoryName Parse(string? text)
    {
        if (TryParse(text, out var name)) return name;
        throw WharfException.InvalidArgument(
            $"Invalid repository {Display.Quote(text)}: expected OWNER/NAME, where each part uses letters, digits, '-', '_' or '.' and starts with a letter or digit.");
    }
}
