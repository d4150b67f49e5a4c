using System.Diagnostics;
using System.Text;
using Wharf.Core.Browse;
using Wharf.Core.Browse.Hg;
using Wharf.Core.Errors;
using Wharf.Core.Hg;
using Wharf.Core.Repositories;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// One Mercurial repository made by the real hg, read by every test of <see cref="HgCodeBrowserTests"/>:
/// <code>
/// rev 0 default  Initial import    README.md, src/a.txt, bin.dat (NUL bytes), big.txt (2000 bytes), link -> README.md,
///                                  many/f1..f7.txt, d01/d02/.../d20/leaf.txt; dated 1700000000 at UTC+1
/// rev 1 default  Rename a to b     hg mv src/a.txt src/b.txt, one line changed; bin.dat changed   (bookmark "mark")
/// rev 2 default  Added tag v1.0    .hgtags: v1.0 -> rev 0                                          (bookmark "topic/x" on rev 0)
/// rev 3 feature  Start feature     feature.txt, on the named branch "feature", child of rev 2
/// rev 4 default  Add subrepository .hgsub (lib = https://example.org/lib), .hgsubstate; odd/ holding a name with byte 0xFF
/// </code>
/// </summary>
public sealed class HgRepositoryFixture : IDisposable
{
    public HgRepositoryFixture()
    {
        Hg.Write("README.md", "# Notes\n")
            .Write("src/a.txt", "one\ntwo\nthree\n")
            .Write("bin.dat", [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 1, 2])
            .Write("big.txt", new string('x', 2000));
        for (var i = 1; i <= 7; i++) Hg.Write($"many/f{i}.txt", $"{i}\n");
        Hg.Write(string.Join('/', Enumerable.Range(1, 20).Select(i => $"d{i:00}")) + "/leaf.txt", "deep\n");
        File.CreateSymbolicLink(Path.Combine(Hg.Directory, "link"), "README.md");
        Commit0 = Hg.Commit("Initial import\n\nWith a body line.", "1700000000 -3600");

        Hg.Hg("mv", "src/a.txt", "src/b.txt");
        Hg.Write("src/b.txt", "one\n2\nthree\n").Write("bin.dat", [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 3]);
        Commit1 = Hg.Commit("Rename a to b", "1700000100 0");

        Hg.Hg("tag", "-r", Commit0, "-d", "1700000200 0", "-m", "Added tag v1.0", "v1.0");
        Commit2 = Hg.Node(".");

        Hg.Hg("branch", "feature");
        Hg.Write("feature.txt", "f\n");
        Commit3 = Hg.Commit("Start feature", "1700000300 0");
        Hg.Hg("update", "default");

        using (var lib = new HgWorkingCopy(Path.Combine(Hg.Directory, "lib")))
        {
            lib.Write("lib.txt", "lib\n");
            LibNode = lib.Commit("lib");
            Hg.Write(".hgsub", "lib = https://example.org/lib\n");
            // A name that is not UTF-8 (Linux file names are bytes), which .NET cannot write itself.
            Directory.CreateDirectory(Path.Combine(Hg.Directory, "odd"));
            using (var touch = Process.Start(new ProcessStartInfo("sh", ["-c", "touch \"odd/$(printf 'bad\\377name')\""]) { WorkingDirectory = Hg.Directory })!)
                touch.WaitForExit();
            Commit4 = Hg.Commit("Add subrepository", "1700000400 0");
            Hg.Hg("bookmark", "-r", Commit1, "mark");
            Hg.Hg("bookmark", "-r", Commit0, "topic/x");
        }
    }

    public HgWorkingCopy Hg { get; } = new();
    public string Commit0 { get; }
    public string Commit1 { get; }
    public string Commit2 { get; }
    public string Commit3 { get; }
    public string Commit4 { get; }
    public string LibNode { get; }

    public RepositoryInfo Repository => new(1, 1, "alice", "notes", Hg.Directory) { Scm = Scm.Hg };

    public void Dispose() => Hg.Dispose();
}

/// <summary>The Mercurial code browser against a real repository: every method, the caps, and hostile input.</summary>
public sealed class HgCodeBrowserTests(HgRepositoryFixture repo) : IClassFixture<HgRepositoryFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly HgCodeBrowser _browser = new(new HgBinary(), new BrowseLimits { MaxFileBytes = 1024 });
    private readonly HgCodeBrowser _tight = new(new HgBinary(), new BrowseLimits { MaxFileBytes = 1024, MaxTreeEntries = 5, MaxDiffFiles = 2, MaxDiffLines = 3 });
    private RepositoryInfo Repo => repo.Repository;

    private static DateTimeOffset At(long seconds, int eastHours = 0) =>
        DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(TimeSpan.FromHours(eastHours));

    private static CommitSummary Summary(string id, long seconds, string subject, int eastHours = 0) =>
        new(id, "Alice Example", At(seconds, eastHours), $"{seconds} {-eastHours * 3600}", subject);

    private CommitSummary C0 => Summary(repo.Commit0, 1700000000, "Initial import", 1);
    private CommitSummary C1 => Summary(repo.Commit1, 1700000100, "Rename a to b");
    private CommitSummary C2 => Summary(repo.Commit2, 1700000200, "Added tag v1.0");
    private CommitSummary C3 => Summary(repo.Commit3, 1700000300, "Start feature");
    private CommitSummary C4 => Summary(repo.Commit4, 1700000400, "Add subrepository");

    [Fact]
    public async Task RefsListBranchesWithCountsThenBookmarksThenTagsWithoutTip()
    {
        var refs = await _browser.RefsAsync(Repo, None);
        Assert.Equal<RefInfo>(
        [
            new("default", RefKind.Branch, repo.Commit4, At(1700000400), true) { Ahead = 0, Behind = 0 },
            new("feature", RefKind.Branch, repo.Commit3, At(1700000300), false) { Ahead = 1, Behind = 1 },
            new("mark", RefKind.Bookmark, repo.Commit1, At(1700000100), false),
            new("topic/x", RefKind.Bookmark, repo.Commit0, At(1700000000, 1), false),
            new("v1.0", RefKind.Tag, repo.Commit0, At(1700000000, 1), false),
        ], refs);
    }

    [Fact]
    public async Task AnEmptyRepositoryHasNoRefsAndAnEmptyRoot()
    {
        using var empty = new HgWorkingCopy();
        var info = new RepositoryInfo(2, 1, "alice", "empty", empty.Directory) { Scm = Scm.Hg };
        Assert.Empty(await _browser.RefsAsync(info, None));
        Assert.Null(await _browser.ResolveAsync(info, "default", None));
        AssertNoCommits(await _browser.CommitsAsync(info, "default", null, 0, 10, None));
    }

    [Fact]
    public async Task ABookmarkNamedDefaultWinsOverTheDefaultBranchAsHgItselfResolvesTheName()
    {
        using var hg = new HgWorkingCopy();
        hg.Write("a.txt", "one\n");
        var first = hg.Commit("One", "1700000000 0");
        hg.Write("a.txt", "two\n");
        hg.Commit("Two", "1700000100 0");
        // hg refuses this name without --force, but a repository can be pushed with it.
        hg.Hg("bookmark", "--force", "-r", first, "default");
        var info = new RepositoryInfo(3, 1, "alice", "shadow", hg.Directory) { Scm = Scm.Hg };
        // hg's own lookup (hg log -r default): bookmarks, then tags, then branches.
        Assert.Equal(first, hg.Node("default"));
        Assert.Equal(new RefPath("default", first, "a.txt"), await _browser.ResolveAsync(info, "default/a.txt", None));
        Assert.Equal([first], (await _browser.CommitsAsync(info, "default", null, 0, 10, None)).Commits.Select(c => c.Id));
    }

    [Fact]
    public async Task ResolveTakesTheLongestRefThenAHashPrefix()
    {
        Assert.Equal(new RefPath("default", repo.Commit4, "src/b.txt"), await _browser.ResolveAsync(Repo, "default/src/b.txt", None));
        Assert.Equal(new RefPath("topic/x", repo.Commit0, "src/a.txt"), await _browser.ResolveAsync(Repo, "topic/x/src/a.txt", None));
        Assert.Equal(new RefPath("topic/x", repo.Commit0, ""), await _browser.ResolveAsync(Repo, "topic/x", None));
        Assert.Equal(new RefPath("mark", repo.Commit1, ""), await _browser.ResolveAsync(Repo, "mark", None));
        Assert.Equal(new RefPath("v1.0", repo.Commit0, "README.md"), await _browser.ResolveAsync(Repo, "v1.0/README.md", None));
        Assert.Equal(new RefPath("feature", repo.Commit3, "feature.txt"), await _browser.ResolveAsync(Repo, "feature/feature.txt", None));
        var shortId = repo.Commit1[..12];
        Assert.Equal(new RefPath(shortId, repo.Commit1, "src"), await _browser.ResolveAsync(Repo, shortId + "/src", None));
        Assert.Equal(new RefPath(repo.Commit2, repo.Commit2, ""), await _browser.ResolveAsync(Repo, repo.Commit2, None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nope/README.md")]
    [InlineData("topic")]
    [InlineData("all()")]               // revsets are never evaluated from what a user typed
    [InlineData("default~1")]
    [InlineData("-r")]
    [InlineData("ffff")]                // id() would name the working directory
    [InlineData("0000")]                // and the null revision
    [InlineData("ffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    [InlineData("abc")]                 // too short for a prefix
    public async Task ResolveAnswersNullForAnythingElse(string refAndPath)
    {
        Assert.Null(await _browser.ResolveAsync(Repo, refAndPath, None));
        Assert.Null(await _browser.CommitAsync(Repo, refAndPath, None));
        Assert.Null(await _browser.TreeAsync(Repo, refAndPath, "", None));
    }

    [Fact]
    public async Task TheRootListsDirectoriesAndSubrepositoriesThenFilesWithSizesAndLinkTargets()
    {
        var tree = await _browser.TreeAsync(Repo, repo.Commit4, "", None);
        var hgsub = "lib = https://example.org/lib\n".Length;
        Assert.Equal((repo.Commit4, "", 0), (tree!.Commit, tree.Path, tree.Omitted));
        Assert.Equal<TreeEntry>(
        [
            new("d01", "d01", EntryKind.Directory, null, null, null) { LastCommit = C0 },
            // A subrepository's own history is not the parent's: its state changes show on .hgsubstate.
            new("lib", "lib", EntryKind.Submodule, null, "https://example.org/lib", repo.LibNode),
            new("many", "many", EntryKind.Directory, null, null, null) { LastCommit = C0 },
            new("odd", "odd", EntryKind.Directory, null, null, null) { LastCommit = C4 },
            new("src", "src", EntryKind.Directory, null, null, null) { LastCommit = C1 },
            new(".hgsub", ".hgsub", EntryKind.File, hgsub, null, null) { LastCommit = C4 },
            new(".hgsubstate", ".hgsubstate", EntryKind.File, 45, null, null) { LastCommit = C4 },
            new(".hgtags", ".hgtags", EntryKind.File, 46, null, null) { LastCommit = C2 },
            new("README.md", "README.md", EntryKind.File, 8, null, null) { LastCommit = C0 },
            new("big.txt", "big.txt", EntryKind.File, 2000, null, null) { LastCommit = C0 },
            new("bin.dat", "bin.dat", EntryKind.File, 6, null, null) { LastCommit = C1 },
            new("link", "link", EntryKind.Symlink, 9, "README.md", null) { LastCommit = C0 },
        ], tree.Entries);
    }

    [Fact]
    public async Task SubdirectoriesDeepTreesAndNamesThatAreNotUtf8()
    {
        var src = await _browser.TreeAsync(Repo, repo.Commit0, "src/", None);
        Assert.Equal((repo.Commit0, "src", 0), (src!.Commit, src.Path, src.Omitted));
        Assert.Equal([new TreeEntry("a.txt", "src/a.txt", EntryKind.File, 14, null, null) { LastCommit = C0 }], src.Entries);
        var nineteen = string.Join('/', Enumerable.Range(1, 19).Select(i => $"d{i:00}"));
        var deep = await _browser.TreeAsync(Repo, repo.Commit4, nineteen, None);
        Assert.Equal([new TreeEntry("d20", nineteen + "/d20", EntryKind.Directory, null, null, null) { LastCommit = C0 }], deep!.Entries);
        var leaf = await _browser.TreeAsync(Repo, repo.Commit4, nineteen + "/d20", None);
        Assert.Equal([new TreeEntry("leaf.txt", nineteen + "/d20/leaf.txt", EntryKind.File, 5, null, null) { LastCommit = C0 }], leaf!.Entries);

        var odd = await _browser.TreeAsync(Repo, repo.Commit4, "odd", None);
        Assert.Equal([new TreeEntry("bad\uFFFDname", "odd/bad\uFFFDname", EntryKind.File, 0, null, null) { NameNotUtf8 = true }], odd!.Entries);
        // Shown with a replacement character, such a name cannot be asked for.
        Assert.Null(await _browser.FileAsync(Repo, repo.Commit4, "odd/bad\uFFFDname", None));
    }

    [Fact]
    public async Task ABigDirectoryIsCutAtMaxTreeEntriesAndSaysHowManyWereLeftOut()
    {
        var many = await _tight.TreeAsync(Repo, repo.Commit4, "many", None);
        Assert.Equal((repo.Commit4, "many", 2), (many!.Commit, many.Path, many.Omitted));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => new TreeEntry($"f{i}.txt", $"many/f{i}.txt", EntryKind.File, 2, null, null) { LastCommit = C0 }), many.Entries);
    }

    [Theory]
    [InlineData("README.md")]     // a file
    [InlineData("nope")]
    [InlineData("src/a.txt/x")]
    [InlineData("../etc")]
    [InlineData("/etc")]
    [InlineData("src/../src")]
    [InlineData("src//b.txt")]
    [InlineData("new\nline")]
    public async Task TreeIsNullForWhatIsNotADirectory(string path)
    {
        Assert.Null(await _browser.TreeAsync(Repo, repo.Commit4, path, None));
    }

    [Fact]
    public async Task FilesAreTextBinaryTooLargeOrALinksTarget()
    {
        Assert.Equal(new FileContent("README.md", 8, false, false, "# Notes\n", null), await _browser.FileAsync(Repo, repo.Commit4, "README.md", None));
        Assert.Equal(new FileContent("src/b.txt", 12, false, false, "one\n2\nthree\n", null), await _browser.FileAsync(Repo, repo.Commit4, "src/b.txt", None));
        Assert.Equal(new FileContent("src/a.txt", 14, false, false, "one\ntwo\nthree\n", null), await _browser.FileAsync(Repo, repo.Commit0, "src/a.txt", None));
        Assert.Equal(new FileContent("bin.dat", 6, true, false, null, null), await _browser.FileAsync(Repo, repo.Commit4, "bin.dat", None));
        Assert.Equal(new FileContent("big.txt", 2000, false, true, null, null), await _browser.FileAsync(Repo, repo.Commit4, "big.txt", None));
        // A symlink's content is its target, never the file it points at.
        Assert.Equal(new FileContent("link", 9, false, false, "README.md", null), await _browser.FileAsync(Repo, repo.Commit4, "link", None));
        Assert.Equal(new FileContent("feature.txt", 2, false, false, "f\n", null), await _browser.FileAsync(Repo, "feature", "feature.txt", None));
    }

    [Theory]
    [InlineData("src")]
    [InlineData("src/a.txt")]     // renamed away before this changeset
    [InlineData("lib")]
    [InlineData("lib/lib.txt")]   // inside the subrepository
    [InlineData("")]
    [InlineData("../README.md")]
    [InlineData("/etc/passwd")]
    [InlineData("-r")]
    [InlineData("glob:*")]
    [InlineData("new\nline")]
    public async Task FileIsNullAndCopyFalseForWhatIsNotAFile(string path)
    {
        Assert.Null(await _browser.FileAsync(Repo, repo.Commit4, path, None));
        using var copy = new MemoryStream();
        Assert.False(await _browser.CopyFileAsync(Repo, repo.Commit4, path, copy, None));
        Assert.Equal(0, copy.Length);
    }

    [Fact]
    public async Task CopyFileStreamsTheWholeFilePastTheDisplayCap()
    {
        using var copy = new MemoryStream();
        Assert.True(await _browser.CopyFileAsync(Repo, "default", "big.txt", copy, None));
        Assert.Equal(new string('x', 2000), Encoding.ASCII.GetString(copy.ToArray()));
        using var binary = new MemoryStream();
        Assert.True(await _browser.CopyFileAsync(Repo, repo.Commit0, "bin.dat", binary, None));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0, 1, 2], binary.ToArray());
    }

    [Fact]
    public async Task CommitsAreTheRevisionsAncestorsNewestFirstWithPagingAndAPathFilter()
    {
        var (c0, c1, c2, c3, c4) = (C0, C1, C2, C3, C4);

        Assert.Equal([c4, c2, c1, c0], (await _browser.CommitsAsync(Repo, "default", null, 0, 10, None)).Commits);
        Assert.False((await _browser.CommitsAsync(Repo, "default", null, 0, 4, None)).HasMore);
        var page = await _browser.CommitsAsync(Repo, "default", null, 1, 2, None);
        Assert.Equal([c2, c1], page.Commits);
        Assert.True(page.HasMore);
        page = await _browser.CommitsAsync(Repo, "default", null, 3, 2, None);
        Assert.Equal([c0], page.Commits);
        Assert.False(page.HasMore);
        Assert.Equal([c3, c2, c1, c0], (await _browser.CommitsAsync(Repo, "feature", "", 0, 10, None)).Commits);
        Assert.Equal([c1, c0], (await _browser.CommitsAsync(Repo, repo.Commit4[..8], "src", 0, 10, None)).Commits);
        Assert.Equal([c1], (await _browser.CommitsAsync(Repo, "default", "src/b.txt", 0, 10, None)).Commits);
        Assert.Equal([c0], (await _browser.CommitsAsync(Repo, "v1.0", null, 0, 10, None)).Commits);
    }

    [Fact]
    public async Task TipIsTheNewestChangesetAsHgResolvesIt()
    {
        Assert.Equal(new RefPath("tip", repo.Commit4, "src"), await _browser.ResolveAsync(Repo, "tip/src", None));
        Assert.Equal(new RefPath("tip", repo.Commit4, ""), await _browser.ResolveAsync(Repo, "tip/", None));
        Assert.Equal(repo.Commit4, (await _browser.CommitAsync(Repo, "tip", None))?.Id);
        Assert.Equal(repo.Commit4, (await _browser.CommitsAsync(Repo, "tip", null, 0, 1, None)).Commits.Single().Id);
        // Never among the tags a page lists.
        Assert.DoesNotContain(await _browser.RefsAsync(Repo, None), r => r.Name == "tip");
    }

    [Theory]
    [InlineData("default", "x') or all() or ('")]   // a path is never revset text
    [InlineData("default", "../src")]
    [InlineData("default", "nope")]
    [InlineData("all()", null)]
    [InlineData("-r", null)]
    public async Task CommitsOfNothingAreEmpty(string revision, string? path)
    {
        AssertNoCommits(await _browser.CommitsAsync(Repo, revision, path, 0, 10, None));
    }

    [Fact]
    public async Task ACommitHasItsParentsPersonDateBranchAndWholeMessage()
    {
        var alice0 = new Person("Alice Example", "alice@example.org", At(1700000000, 1), "1700000000 -3600");
        AssertCommit(new CommitDetail(repo.Commit0, [], alice0, alice0, "Initial import\n\nWith a body line.") { Branch = "default" },
            await _browser.CommitAsync(Repo, repo.Commit0, None));
        var alice1 = new Person("Alice Example", "alice@example.org", At(1700000100), "1700000100 0");
        AssertCommit(new CommitDetail(repo.Commit1, [repo.Commit0], alice1, alice1, "Rename a to b") { Branch = "default" },
            await _browser.CommitAsync(Repo, repo.Commit1[..6], None));
        var alice3 = new Person("Alice Example", "alice@example.org", At(1700000300), "1700000300 0");
        AssertCommit(new CommitDetail(repo.Commit3, [repo.Commit2], alice3, alice3, "Start feature") { Branch = "feature" },
            await _browser.CommitAsync(Repo, "feature", None));
    }

    [Fact]
    public async Task ADiffShowsRenamesBinaryFilesAndHunksWithLineNumbers()
    {
        var diff = await _browser.DiffAsync(Repo, null, repo.Commit1, None);
        Assert.NotNull(diff);
        Assert.Equal((null, repo.Commit1, 0), (diff.From, diff.To, diff.FilesOmitted));
        Assert.Equal(2, diff.Files.Count);
        AssertFile(new FileDiff("bin.dat", "bin.dat", FileChange.Modified, 0, 0, true, []), diff.Files[0]);
        AssertFile(new FileDiff("src/a.txt", "src/b.txt", FileChange.Renamed, 1, 1, false,
        [
            new DiffHunk("@@ -1,3 +1,3 @@",
            [
                new(DiffLineKind.Context, 1, 1, "one"),
                new(DiffLineKind.Deleted, 2, null, "two"),
                new(DiffLineKind.Added, null, 2, "2"),
                new(DiffLineKind.Context, 3, 3, "three"),
            ]),
        ]), diff.Files[1]);
        Assert.Equal((1, 1), (diff.Additions, diff.Deletions));
    }

    [Fact]
    public async Task ARootChangesetAddsEveryFileAndADiffBetweenTwoRevisionsSpansBoth()
    {
        var root = await _browser.DiffAsync(Repo, null, repo.Commit0, None);
        Assert.Equal(["README.md", "big.txt", "bin.dat", "d01/d02/d03/d04/d05/d06/d07/d08/d09/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/leaf.txt",
            "link", "many/f1.txt", "many/f2.txt", "many/f3.txt", "many/f4.txt", "many/f5.txt", "many/f6.txt", "many/f7.txt", "src/a.txt"],
            root!.Files.Select(f => f.Path));
        Assert.All(root.Files, f => Assert.Equal((FileChange.Added, (string?)null), (f.Change, f.OldPath)));
        AssertFile(new FileDiff(null, "README.md", FileChange.Added, 1, 0, false,
            [new DiffHunk("@@ -0,0 +1,1 @@", [new(DiffLineKind.Added, null, 1, "# Notes")])]), root.Files[0]);
        AssertFile(new FileDiff(null, "link", FileChange.Added, 1, 0, false,
            [new DiffHunk("@@ -0,0 +1,1 @@", [new(DiffLineKind.Added, null, 1, "README.md")])]), root.Files[4]);

        var span = await _browser.DiffAsync(Repo, "v1.0", "default", None);
        Assert.Equal((repo.Commit0, repo.Commit4), (span!.From, span.To));
        Assert.Equal([(".hgsub", FileChange.Added), (".hgsubstate", FileChange.Added), (".hgtags", FileChange.Added), ("bin.dat", FileChange.Modified),
            ("odd/bad\uFFFDname", FileChange.Added), ("src/b.txt", FileChange.Renamed)], span.Files.Select(f => (f.Path, f.Change)));
    }

    [Fact]
    public async Task DiffsPastTheCapsCountFilesAndDropLinesWholeFilesAtATime()
    {
        var files = await _tight.DiffAsync(Repo, null, repo.Commit0, None);
        Assert.Equal(["README.md", "big.txt"], files!.Files.Select(f => f.Path));
        Assert.Equal(11, files.FilesOmitted);
        var lines = await _tight.DiffAsync(Repo, null, repo.Commit1, None);
        AssertFile(new FileDiff("src/a.txt", "src/b.txt", FileChange.Renamed, 1, 1, false, []) { LinesOmitted = true }, lines!.Files[1]);
    }

    [Fact]
    public async Task TheRawPatchIsHgsOwnGitStyleDiff()
    {
        using var patch = new MemoryStream();
        Assert.True(await _browser.CopyPatchAsync(Repo, null, "mark", patch, None));
        Assert.Equal(repo.Hg.Hg("diff", "--git", "-c", repo.Commit1), Encoding.UTF8.GetString(patch.ToArray()));
        Assert.Contains("rename from src/a.txt\nrename to src/b.txt\n", Encoding.UTF8.GetString(patch.ToArray()));
        using var none = new MemoryStream();
        Assert.False(await _browser.CopyPatchAsync(Repo, "nope", "default", none, None));
        Assert.False(await _browser.CopyPatchAsync(Repo, null, "0123456789abcdef0123456789abcdef01234567", none, None));
        Assert.Equal(0, none.Length);
        Assert.Null(await _browser.DiffAsync(Repo, null, "all()", None));
        Assert.Null(await _browser.DiffAsync(Repo, "tip()", "default", None));
    }

    [Fact]
    public async Task AheadBehindCountsChangesetsOnEachSide()
    {
        Assert.Equal(new AheadBehind(1, 1), await _browser.AheadBehindAsync(Repo, "feature", "default", None));
        Assert.Equal(new AheadBehind(0, 3), await _browser.AheadBehindAsync(Repo, repo.Commit0, "default", None));
        Assert.Equal(new AheadBehind(0, 0), await _browser.AheadBehindAsync(Repo, "default", repo.Commit4, None));
        Assert.Null(await _browser.AheadBehindAsync(Repo, "feature", "0123456789abcdef0123456789abcdef01234567", None));
        Assert.Null(await _browser.AheadBehindAsync(Repo, "all()", "default", None));
    }

    [Fact]
    public void HgRefusesANameWithANewlineSoNoRepositoryHoldsOne()
    {
        using var hg = new HgWorkingCopy();
        hg.Write("new\nline", "x\n");
        var (status, _, stderr) = hg.TryHg("add", "new\nline");
        Assert.Equal((255, "abort: '\\n' and '\\r' disallowed in filenames: 'new\\nline'\n"), (status, stderr));
        var (filesStatus, files, _) = hg.TryHg("files", "-r", "wdir()");
        Assert.Equal((1, ""), (filesStatus, files));
    }

    [Fact]
    public async Task TheRepositorysOwnHgrcRunsNothing()
    {
        using var hg = new HgWorkingCopy();
        hg.Write("README", "hi\n").Commit("one");
        var marker = Path.Combine(hg.Directory, "..", Path.GetFileName(hg.Directory) + ".ran");
        var extension = hg.Directory + ".evil.py";
        File.WriteAllText(extension, $"open({System.Text.Json.JsonSerializer.Serialize(marker)}, 'a').write('extension\\n')\n");
        File.WriteAllText(Path.Combine(hg.Directory, ".hg", "hgrc"),
            $"[extensions]\nevil = {extension}\n[hooks]\n" + string.Join("", new[] { "log", "files", "cat", "diff" }.Select(c => $"pre-{c} = echo hook >> {marker}\n")));
        try
        {
            // The configuration works when hg reads it: the test would see it run.
            hg.Hg("log", "-l", "1");
            Assert.Equal("extension\nhook\n", File.ReadAllText(marker));
            File.Delete(marker);

            var info = new RepositoryInfo(3, 1, "alice", "hostile", hg.Directory) { Scm = Scm.Hg };
            Assert.Single(await _browser.RefsAsync(info, None));
            Assert.Single((await _browser.TreeAsync(info, "default", "", None))!.Entries);
            Assert.Equal("hi\n", (await _browser.FileAsync(info, "default", "README", None))!.Text);
            Assert.Single((await _browser.CommitsAsync(info, "default", null, 0, 10, None)).Commits);
            Assert.Single((await _browser.DiffAsync(info, null, "default", None))!.Files);
            Assert.False(File.Exists(marker));
        }
        finally
        {
            File.Delete(extension);
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task TheRefListingIsReadOnceWhileTheRepositoryIsUnchangedAndAgainAfterABookmarkOrACommit()
    {
        using var hg = new HgWorkingCopy();
        hg.Write("a.txt", "a\n");
        var first = hg.Commit("First");
        // Files as a repository nobody wrote to in the last minute has them (a listing is kept only once they settle).
        var past = DateTime.UtcNow.AddMinutes(-1);
        foreach (var file in Directory.GetFiles(Path.Combine(hg.Directory, ".hg"), "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, past);
        var runs = Path.Combine(hg.Directory, "..", Path.GetFileName(hg.Directory) + "-hg-runs.log");
        var wrapper = CountingTool.Write(Path.Combine(hg.Directory, "..", Path.GetFileName(hg.Directory) + "-counting-hg"), "hg", runs);
        try
        {
            var info = new RepositoryInfo(5, 1, "alice", "kept", hg.Directory) { Scm = Scm.Hg };
            var browser = new HgCodeBrowser(new HgBinary(wrapper), new BrowseLimits());
            int Listings() => File.Exists(runs) ? File.ReadAllLines(runs).Count(l => l.Contains("head() or bookmark() or tag()", StringComparison.Ordinal)) : 0;

            // A branch's history twice, and its refs: one listing without counts, one with.
            Assert.Equal([first], (await browser.CommitsAsync(info, "default", null, 0, 30, None)).Commits.Select(c => c.Id));
            Assert.Equal([first], (await browser.CommitsAsync(info, "default", null, 0, 30, None)).Commits.Select(c => c.Id));
            await browser.RefsAsync(info, None);
            await browser.RefsAsync(info, None);
            Assert.Equal(2, Listings());

            // A new bookmark and a new changeset are seen by the next page, without waiting.
            hg.Hg("bookmark", "-r", first, "marked");
            Assert.Contains(await browser.RefsAsync(info, None), r => r.Kind == RefKind.Bookmark && r.Name == "marked" && r.Target == first);
            hg.Write("b.txt", "b\n");
            var second = hg.Commit("Second");
            Assert.Equal([second, first], (await browser.CommitsAsync(info, "default", null, 0, 30, None)).Commits.Select(c => c.Id));
            Assert.Equal(4, Listings());
        }
        finally
        {
            File.Delete(wrapper);
            File.Delete(runs);
        }
    }

    [Fact]
    public async Task AWideDirectoryAHugeFileAndAChangesetOfThousandsOfFilesStayWithinTheDefaultCaps()
    {
        using var hg = new HgWorkingCopy();
        for (var i = 0; i < 2000; i++) hg.Write($"wide/f{i:0000}.txt", $"{i}\n");
        var huge = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('a', 99) + "\n", 52428)));
        hg.Write("huge.txt", huge);
        var node = hg.Commit("Wide and huge");
        var info = new RepositoryInfo(4, 1, "alice", "wide", hg.Directory) { Scm = Scm.Hg };
        var browser = new HgCodeBrowser(new HgBinary(), new BrowseLimits());

        var wide = await browser.TreeAsync(info, node, "wide", None);
        Assert.Equal(1000, wide!.Omitted);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"f{i:0000}.txt"), wide.Entries.Select(e => e.Name));

        Assert.Equal(new FileContent("huge.txt", 5242800, false, true, null, null), await browser.FileAsync(info, "default", "huge.txt", None));
        using var copy = new MemoryStream();
        Assert.True(await browser.CopyFileAsync(info, node, "huge.txt", copy, None));
        Assert.Equal(huge, copy.ToArray());

        var diff = await browser.DiffAsync(info, null, node, None);
        Assert.Equal((300, 1701), (diff!.Files.Count, diff.FilesOmitted));
        // The huge file alone is past the 20,000-line cap: it and every file after it are listed with counts only.
        AssertFile(new FileDiff(null, "huge.txt", FileChange.Added, 52428, 0, false, []) { LinesOmitted = true }, diff.Files[0]);
        AssertFile(new FileDiff(null, "wide/f0000.txt", FileChange.Added, 1, 0, false, []) { LinesOmitted = true }, diff.Files[1]);
    }

    [Fact]
    public async Task ASymlinkOutOfTheRepositoryIsShownNeverFollowedAndANestedSubrepositoryMakesItsDirectory()
    {
        using var hg = new HgWorkingCopy();
        hg.Write("README", "x\n");
        File.CreateSymbolicLink(Path.Combine(hg.Directory, "escape"), "/etc/passwd");
        // Inside the parent's working copy, which removes it with the rest.
        var lib = new HgWorkingCopy(Path.Combine(hg.Directory, "vendor", "lib"));
        lib.Write("a.txt", "a\n");
        var libNode = lib.Commit("lib");
        const string hgsub = "# vendored\nvendor/lib = ../lib\n\n[subpaths]\n../lib = https://example.org/lib\n";
        hg.Write(".hgsub", hgsub);
        var node = hg.Commit("Vendor");
        var info = new RepositoryInfo(5, 1, "alice", "vendor", hg.Directory) { Scm = Scm.Hg };

        var root = await _browser.TreeAsync(info, node, "", None);
        Assert.Equal([("vendor", EntryKind.Directory, (long?)null, (string?)null, (string?)null, (string?)null), (".hgsub", EntryKind.File, hgsub.Length, null, null, node),
                (".hgsubstate", EntryKind.File, 52, null, null, node), ("README", EntryKind.File, 2, null, null, node),
                ("escape", EntryKind.Symlink, 11, "/etc/passwd", null, node)],
            root!.Entries.Select(e => (e.Name, e.Kind, e.Size, e.Target, e.ObjectId, e.LastCommit?.Id)));
        var vendor = await _browser.TreeAsync(info, node, "vendor", None);
        Assert.Equal([new TreeEntry("lib", "vendor/lib", EntryKind.Submodule, null, "../lib", libNode)], vendor!.Entries);
        Assert.Null(await _browser.TreeAsync(info, node, "vendor/lib", None));

        Assert.Equal(new FileContent("escape", 11, false, false, "/etc/passwd", null), await _browser.FileAsync(info, node, "escape", None));
        using var copy = new MemoryStream();
        Assert.True(await _browser.CopyFileAsync(info, node, "escape", copy, None));
        Assert.Equal("/etc/passwd", Encoding.UTF8.GetString(copy.ToArray()));
    }

    [Fact]
    public async Task AReadPastTheTimeoutIsStopped()
    {
        var slow = new HgCodeBrowser(new HgBinary(), new BrowseLimits { Timeout = TimeSpan.FromMilliseconds(1) });
        // The same refusal as the git browser's, so the pages say "Too slow" and the API answers 503 browse-timeout.
        var e = await Assert.ThrowsAsync<WharfException>(() => slow.RefsAsync(Repo, None));
        Assert.Equal((ErrorCategory.Unavailable, BrowseErrors.TimeoutCode), (e.Category, e.Code));
        Assert.Equal("Reading the repository took longer than 1 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout.", e.Message);
    }

    private static void AssertNoCommits(CommitList list)
    {
        Assert.Empty(list.Commits);
        Assert.False(list.HasMore);
    }

    private static void AssertCommit(CommitDetail expected, CommitDetail? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual with { Parents = expected.Parents });
        Assert.Equal(expected.Parents, actual.Parents);
    }

    private static void AssertFile(FileDiff expected, FileDiff actual)
    {
        Assert.Equal(expected with { Hunks = [] }, actual with { Hunks = [] });
        Assert.Equal(expected.Hunks.Count, actual.Hunks.Count);
        foreach (var (e, a) in expected.Hunks.Zip(actual.Hunks))
        {
            Assert.Equal(e.Header, a.Header);
            Assert.Equal(e.Lines, a.Lines);
        }
    }
}
