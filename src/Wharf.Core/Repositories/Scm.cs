namespace Wharf.Core.Repositories;

/// <summary>The version control system of a repository; fixed when it is created.</summary>
public enum Scm
{
    Git = 0,
    Hg = 1,
}

public static class ScmNames
{
    /// <summary>Bitbucket's <c>scm</c> values.</summary>
    public static string ToApi(this Scm scm) => scm == Scm.Hg ? "hg" : "git";

    public static string DisplayName(this Scm scm) => scm == Scm.Hg ? "Mercurial" : "Git";

    public static bool TryParse(string? text, out Scm scm)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "git": scm = Scm.Git; return true;
            case "hg" or "mercurial": scm = Scm.Hg; return true;
            default: scm = Scm.Git; return false;
        }
    }
}
