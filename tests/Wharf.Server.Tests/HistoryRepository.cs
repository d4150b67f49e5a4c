using System.Text;

namespace Wharf.Server.Tests;

/// <summary>
/// A repository with real history made by real git, for the history pages, API and <c>GitCodeBrowser</c> tests: branches
/// <c>main</c>, <c>trunk</c> and <c>feature/x</c>, a root commit, a rename with a change, a binary file, a type change,
/// a merge, an annotated and a lightweight tag; pushed into a bare repository as a push would.
/// </summary>
public sealed class HistoryRepository
{
    public string Work { get; }
    public string Bare { get; }
    public string Root { get; private set; } = "";
    public string Second { get; private set; } = "";
    public string Merge { get; private set; } = "";
    public string Feature { get; private set; } = "";
    public string Trunk { get; private set; } = "";

    private HistoryRepository(string work, string bare) => (Work, Bare) = (work, bare);

    private static readonly string[] Author = ["-c", "user.name=Alice Author", "-c", "user.email=alice@example.org"];

    public string Commit(string message)
    {
        Git.Ok(Work, [.. Author, "commit", "-q", "--allow-empty", "-m", message]);
        return Git.Ok(Work, "rev-parse", "HEAD");
    }

    public void Write(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));

    public void Write(string path, byte[] bytes)
    {
        var full = Path.Combine(Work, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    public void Push(params string[] refspecs) => Git.Ok(Work, ["push", "-q", "--force", Bare, .. refspecs]);

    /// <summary>Builds the history into <paramref name="bare"/> (an existing bare repository, such as one Wharf created) from a work tree under <paramref name="scratch"/>.</summary>
    public static HistoryRepository Build(string scratch, string bare)
    {
        var work = Path.Combine(scratch, "work-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        Git.Ok(work, "init", "-q", "-b", "main");
        var h = new HistoryRepository(work, bare);
        h.Write("README.md", "# Site\n");
        h.Write("old-name.txt", "one\ntwo\nthree\nfour\nfive\nsix\n");
        h.Write("typed", "a plain file\n");
        h.Write("gone.txt", "to be deleted\n");
        Git.Ok(work, "add", "-A");
        h.Root = h.Commit("Root commit");
        Git.Ok(work, "mv", "old-name.txt", "new-name.txt");
        h.Write("new-name.txt", "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\n");
        h.Write("logo.bin", [0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0xff]);
        File.Delete(Path.Combine(work, "typed"));
        File.CreateSymbolicLink(Path.Combine(work, "typed"), "README.md");
        Git.Ok(work, "rm", "-q", "gone.txt");
        Git.Ok(work, "add", "-A");
        h.Second = h.Commit("Rename, binary and a type change\n\nThe body <b>says</b> more.\nOver two lines.");
        Git.Ok(work, "checkout", "-q", "-b", "feature/x");
        h.Write("feature.txt", "feature\n");
        Git.Ok(work, "add", "-A");
        h.Feature = h.Commit("Feature work");
        Git.Ok(work, "checkout", "-q", "main");
        h.Write("main.txt", "main\n");
        Git.Ok(work, "add", "-A");
        h.Commit("Main moves on");
        Git.Ok(work, [.. Author, "merge", "-q", "--no-ff", "--no-edit", "-m", "Merge feature/x", "feature/x"]);
        h.Merge = Git.Ok(work, "rev-parse", "HEAD");
        Git.Ok(work, "checkout", "-q", "-b", "trunk", h.Second);
        h.Write("trunk.txt", "trunk\n");
        Git.Ok(work, "add", "-A");
        h.Trunk = h.Commit("Trunk only");
        Git.Ok(work, "checkout", "-q", "main");
        Git.Ok(work, [.. Author, "tag", "-a", "v1.0", "-m", "Release 1.0\n\nNotes.", h.Second]);
        Git.Ok(work, "tag", "light", h.Root);
        h.Push("main:main", "trunk:trunk", "feature/x:feature/x", "refs/tags/v1.0:refs/tags/v1.0", "refs/tags/light:refs/tags/light");
        return h;
    }
}
