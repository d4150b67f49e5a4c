using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// A Mercurial repository with real history made by real hg, for the code pages and API: a README.md and a
/// subdirectory on <c>default</c>, a named branch <c>stable</c> made from the first changeset, a bookmark
/// <c>feature</c> on it, a tag <c>v1.0</c> (its own changeset on <c>default</c>) and a rename with a change as the
/// newest changeset of <c>default</c>; pushed into a repository Wharf created, as a push would.
/// </summary>
public sealed class HgHistoryRepository
{
    public required string Root { get; init; }
    public required string Stable { get; init; }
    public required string Tagging { get; init; }
    public required string Rename { get; init; }

    public static HgHistoryRepository Build(string scratch, string repository)
    {
        using var work = new HgWorkingCopy(Path.Combine(scratch, "hg-work-" + Guid.NewGuid().ToString("N")[..8]));
        work.Write("README.md", "# Notes\n\nKept in **Mercurial**.\n");
        work.Write("docs/guide.txt", "one\ntwo\nthree\n");
        work.Write("old.txt", "alpha\nbeta\ngamma\n");
        var root = work.Commit("Root changeset", "1700000000 0");
        work.Hg("tag", "-d", "1700000100 0", "-m", "Tag v1.0", "v1.0");
        var tagging = work.Node(".");
        work.Hg("update", "-q", "-r", root);
        work.Hg("branch", "-q", "stable");
        work.Write("stable.txt", "a fix\n");
        var stable = work.Commit("Stable fix", "1700000200 0");
        work.Hg("bookmark", "feature");
        work.Hg("update", "-q", "default");
        work.Hg("rename", "-q", "old.txt", "new.txt");
        work.Write("new.txt", "alpha\nbeta\ngamma\ndelta\n");
        var rename = work.Commit("Rename old.txt\n\nAnd add a line.", "1700000300 0");
        // -B alone would push only the bookmark's ancestors: both branch heads are named too.
        work.Hg("push", "-q", "--new-branch", "-r", "default", "-r", "stable", "-B", "feature", repository);
        return new HgHistoryRepository { Root = root, Stable = stable, Tagging = tagging, Rename = rename };
    }
}
