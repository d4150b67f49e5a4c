using Wharf.Core.Repositories;

namespace Wharf.Server.Web.Code;

/// <summary>
/// The words the code pages use for what a version control system records: git's "commit", Mercurial's "changeset"
/// (as the repository navigation's "Changesets" tab says), and how each pushes a tag.
/// </summary>
public static class ScmWords
{
    /// <summary>"commit" or "changeset", lower case.</summary>
    public static string Commit(RepositoryInfo repository) => repository.Scm == Scm.Hg ? "changeset" : "commit";

    /// <summary>"commits" or "changesets", lower case.</summary>
    public static string Commits(RepositoryInfo repository) => Commit(repository) + "s";

    /// <summary>"Commit" or "Changeset".</summary>
    public static string CommitTitle(RepositoryInfo repository) => repository.Scm == Scm.Hg ? "Changeset" : "Commit";

    /// <summary>What the ref selector chooses from: git has branches and tags, Mercurial bookmarks as well.</summary>
    public static string RefChoice(RepositoryInfo repository) => repository.Scm == Scm.Hg ? "Branch, bookmark or tag" : "Branch or tag";

    /// <summary>The tree table's column: "Last commit" or "Last changeset".</summary>
    public static string LastCommitTitle(RepositoryInfo repository) => "Last " + Commit(repository);

    /// <summary>The command that publishes a tag.</summary>
    public static string TagCommand(RepositoryInfo repository) =>
        repository.Scm == Scm.Hg ? "hg tag NAME && hg push" : "git push origin TAG";
}
