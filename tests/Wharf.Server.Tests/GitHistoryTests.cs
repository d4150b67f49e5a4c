using System.Text;
using Wharf.Core.Browse;
using Wharf.Core.Browse.Git;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="GitCodeBrowser"/>'s history half on real repositories made by real git: commit lists and paging, one
/// commit, diffs (renames, binary files, type changes, root and merge commits, the caps on huge diffs), raw patches,
/// ahead/behind counts, hostile commit text, and revisions that must never reach git as options.
/// </summary>
public sealed class GitHistoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wharf-history-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private (HistoryRepository History, RepositoryInfo Repository) Make()
    {
        var bare = Path.Combine(_root, "site.git");
        Git.Ok(_root, "init", "-q", "--bare", bare);
        var history = HistoryRepository.Build(_root, bare);
        return (history, new RepositoryInfo(1, 1, "alice", "site", bare) { Scm = Scm.Git });
    }

    private static GitCodeBrowser Browser(BrowseLimits? limits = null) => new(new GitBinary(), limits ?? new BrowseLimits());

    [Fact]
    public async Task CommitsListsNewestFirstPagesWithHasMoreAndFollowsOnePath()
    {
        var (h, r) = Make();
        var browser = Browser();
        var all = await browser.CommitsAsync(r, "main", null, 0, 100, CancellationToken.None);
        Assert.Equal(["Merge feature/x", "Main moves on", "Feature work", "Rename, binary and a type change", "Root commit"], all.Commits.Select(c => c.Subject));
        Assert.False(all.HasMore);
        Assert.Equal(h.Merge, all.Commits[0].Id);
        Assert.Equal("Alice Author", all.Commits[0].Author);
        Assert.NotNull(all.Commits[0].When);

        var first = await browser.CommitsAsync(r, "main", null, 0, 2, CancellationToken.None);
        Assert.Equal(["Merge feature/x", "Main moves on"], first.Commits.Select(c => c.Subject));
        Assert.True(first.HasMore);
        var last = await browser.CommitsAsync(r, "main", null, 4, 2, CancellationToken.None);
        Assert.Equal(["Root commit"], last.Commits.Select(c => c.Subject));
        Assert.False(last.HasMore);

        var path = await browser.CommitsAsync(r, "main", "new-name.txt", 0, 10, CancellationToken.None);
        Assert.Equal(["Rename, binary and a type change"], path.Commits.Select(c => c.Subject));
        var branch = await browser.CommitsAsync(r, "refs/heads/feature/x", null, 0, 10, CancellationToken.None);
        Assert.Equal("Feature work", branch.Commits[0].Subject);
    }

    [Fact]
    public async Task OneCommitHasBothPeopleTheirDatesItsParentsAndItsWholeMessage()
    {
        var (h, r) = Make();
        var commit = await Browser().CommitAsync(r, h.Second, CancellationToken.None);
        Assert.NotNull(commit);
        Assert.Equal(h.Second, commit.Id);
        Assert.Equal([h.Root], commit.Parents);
        Assert.Equal(("Alice Author", "alice@example.org"), (commit.Author.Name, commit.Author.Email));
        Assert.Equal("alice@example.org", commit.Committer.Email);
        Assert.NotNull(commit.Committer.When);
        Assert.Equal(commit.Author.When, RepositoryHistory.GitDate(commit.Author.RawDate));
        Assert.Equal("Rename, binary and a type change\n\nThe body <b>says</b> more.\nOver two lines.", commit.Message);
        Assert.Equal("Rename, binary and a type change", commit.Subject);

        var merge = await Browser().CommitAsync(r, h.Merge, CancellationToken.None);
        Assert.Equal(2, merge!.Parents.Count);
        Assert.Equal(h.Feature, merge.Parents[1]);
        Assert.Null(await Browser().CommitAsync(r, "0123456789abcdef0123456789abcdef01234567", CancellationToken.None));
    }

    [Fact]
    public async Task ADiffShowsTheRenameOldToNewTheBinaryFileTheTypeChangeAndTheDeletionWithTheirCounts()
    {
        var (h, r) = Make();
        var diff = await Browser().DiffAsync(r, null, h.Second, CancellationToken.None);
        Assert.NotNull(diff);
        Assert.Equal(0, diff.FilesOmitted);
        var byPath = diff.Files.ToDictionary(f => f.Path);
        var renamed = byPath["new-name.txt"];
        Assert.Equal((FileChange.Renamed, "old-name.txt", "new-name.txt", 2, 1), (renamed.Change, renamed.OldPath, renamed.NewPath, renamed.Additions, renamed.Deletions));
        var lines = renamed.Hunks.SelectMany(x => x.Lines).ToList();
        Assert.Contains(new DiffLine(DiffLineKind.Deleted, 3, null, "three"), lines);
        Assert.Contains(new DiffLine(DiffLineKind.Added, null, 3, "THREE"), lines);
        Assert.Contains(new DiffLine(DiffLineKind.Added, null, 7, "seven"), lines);
        Assert.Contains(new DiffLine(DiffLineKind.Context, 1, 1, "one"), lines);
        var binary = byPath["logo.bin"];
        Assert.Equal((FileChange.Added, true, 0, 0), (binary.Change, binary.IsBinary, binary.Additions, binary.Deletions));
        Assert.Empty(binary.Hunks);
        var typed = byPath["typed"];
        Assert.Equal(FileChange.TypeChanged, typed.Change);
        // Both halves of a type change (the file's deletion, the link's addition) belong to the one entry.
        Assert.Equal(2, typed.Hunks.Count);
        Assert.Equal((FileChange.Deleted, "gone.txt", null), (byPath["gone.txt"].Change, byPath["gone.txt"].OldPath, byPath["gone.txt"].NewPath));
        Assert.Equal(["gone.txt", "logo.bin", "new-name.txt", "typed"], diff.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ARootCommitIsComparedWithTheEmptyTreeAndAMergeWithItsFirstParent()
    {
        var (h, r) = Make();
        var root = await Browser().DiffAsync(r, null, h.Root, CancellationToken.None);
        Assert.Equal(["README.md", "gone.txt", "old-name.txt", "typed"], root!.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(root.Files, f => Assert.Equal(FileChange.Added, f.Change));
        Assert.Equal(6, root.Files.Single(f => f.Path == "old-name.txt").Additions);

        var merge = await Browser().DiffAsync(r, null, h.Merge, CancellationToken.None);
        Assert.Equal(["feature.txt"], merge!.Files.Select(f => f.Path));

        var range = await Browser().DiffAsync(r, h.Root, h.Trunk, CancellationToken.None);
        Assert.Contains(range!.Files, f => f.Path == "trunk.txt");
        Assert.Contains(range.Files, f => f.Path == "new-name.txt");
    }

    [Fact]
    public async Task ACommitTouchingTenThousandFilesIsCappedAtTheFileAndLineLimits()
    {
        var bare = Path.Combine(_root, "big.git");
        Git.Ok(_root, "init", "-q", "--bare", bare);
        var work = Path.Combine(_root, "big");
        Directory.CreateDirectory(work);
        Git.Ok(work, "init", "-q", "-b", "main");
        Git.Ok(work, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-q", "--allow-empty", "-m", "empty root");
        for (var i = 0; i < 10_000; i++)
            File.WriteAllText(Path.Combine(work, $"f{i:D5}.txt"), "line one\nline two\n");
        Git.Ok(work, "add", "-A");
        Git.Ok(work, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-q", "-m", "ten thousand files");
        Git.Ok(work, "push", "-q", bare, "main:main");
        var r = new RepositoryInfo(2, 1, "alice", "big", bare) { Scm = Scm.Git };

        var diff = await Browser(new BrowseLimits { MaxDiffFiles = 300, MaxDiffLines = 100, Timeout = TimeSpan.FromSeconds(60) })
            .DiffAsync(r, null, "main", CancellationToken.None);
        Assert.NotNull(diff);
        Assert.Equal(300, diff.Files.Count);
        Assert.Equal(9_700, diff.FilesOmitted);
        // 100 lines at 2 per file: 50 files with their lines, the 51st cut, the rest listed with counts but without lines.
        Assert.Equal(50, diff.Files.Count(f => f.Hunks.Count == 1 && !f.LinesOmitted));
        Assert.All(diff.Files.Skip(51), f => Assert.True(f.LinesOmitted && f.Hunks.Count == 0 && f.Additions == 2));
        Assert.Equal(2 * 300, diff.Additions);

        // The whole patch still streams for whoever asks for it.
        using var patch = new MemoryStream();
        Assert.True(await Browser(new BrowseLimits { Timeout = TimeSpan.FromSeconds(60) }).CopyPatchAsync(r, null, "main", patch, CancellationToken.None));
        Assert.Equal(10_000, Encoding.UTF8.GetString(patch.ToArray()).Split('\n').Count(l => l.StartsWith("diff --git ", StringComparison.Ordinal)));
    }

    /// <summary>Dates HEAD, packed-refs and the ref directories a minute back, as refs are on a repository nobody pushed to just now.</summary>
    private static void SettleRefs(string bare)
    {
        var past = DateTime.UtcNow.AddMinutes(-1);
        foreach (var file in new[] { "HEAD", "packed-refs" })
            if (File.Exists(Path.Combine(bare, file))) File.SetLastWriteTimeUtc(Path.Combine(bare, file), past);
        foreach (var top in new[] { "refs/heads", "refs/tags" })
        {
            var root = Path.Combine(bare, top);
            foreach (var dir in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Append(root)) Directory.SetLastWriteTimeUtc(dir, past);
        }
    }

    [Fact]
    public async Task ASecondViewOfABranchsCommitListAndOfACommitStartsNoGitAndAPushIsShownAtOnce()
    {
        var (h, r) = Make();
        SettleRefs(h.Bare);
        var log = Path.Combine(_root, "git-runs.log");
        using var browser = new GitCodeBrowser(new GitBinary(Support.CountingTool.Write(Path.Combine(_root, "counting-git"), "git", log)), new BrowseLimits());
        async Task<(CommitList List, CommitDetail? Commit, Diff? Diff)> ViewAsync(string id) => (
            await browser.CommitsAsync(r, "refs/heads/main", null, 0, 30, CancellationToken.None),
            await browser.CommitAsync(r, id, CancellationToken.None),
            await browser.DiffAsync(r, null, id, CancellationToken.None));

        var first = await ViewAsync(h.Second);
        Assert.NotEmpty(File.ReadAllLines(log));
        File.Delete(log);
        var second = await ViewAsync(h.Second);
        // The list is kept for the commit main points at, the commit and its small diff by id: no git at all.
        Assert.False(File.Exists(log), File.Exists(log) ? File.ReadAllText(log) : "");
        Assert.Equal(first.List.Commits.Select(c => c.Id), second.List.Commits.Select(c => c.Id));
        Assert.Equal(["Merge feature/x", "Main moves on", "Feature work", "Rename, binary and a type change", "Root commit"],
            second.List.Commits.Select(c => c.Subject));
        Assert.Equal(h.Second, second.Commit?.Id);
        Assert.Equal(first.Diff!.Files.Select(f => (f.OldPath, f.NewPath, f.Change, f.Additions, f.Deletions)),
            second.Diff!.Files.Select(f => (f.OldPath, f.NewPath, f.Change, f.Additions, f.Deletions)));

        // A push moves main: the next view lists the new commit, whatever was kept for the old one.
        Git.Ok(h.Work, "checkout", "-q", "main");
        var pushed = h.Commit("Pushed after the first view");
        h.Push("main:main");
        var after = await browser.CommitsAsync(r, "refs/heads/main", null, 0, 30, CancellationToken.None);
        Assert.Equal(pushed, after.Commits[0].Id);
        Assert.Equal("Pushed after the first view", after.Commits[0].Subject);
        Assert.Equal(6, after.Commits.Count);
    }

    [Fact]
    public async Task AReadPastTheTimeoutIsStoppedWithTheBrowseTimeoutError()
    {
        var (h, r) = Make();
        var browser = Browser(new BrowseLimits { Timeout = TimeSpan.FromTicks(1) });
        var e = await Assert.ThrowsAsync<WharfException>(() => browser.DiffAsync(r, null, h.Second, CancellationToken.None));
        Assert.Equal((ErrorCategory.Unavailable, "browse-timeout"), (e.Category, e.Code));
        e = await Assert.ThrowsAsync<WharfException>(() => browser.CommitsAsync(r, "main", null, 0, 10, CancellationToken.None));
        Assert.Equal("browse-timeout", e.Code);
    }

    [Fact]
    public async Task HostileSubjectsNewlinesAndAuthorNamesThatAreNotUtf8Parse()
    {
        var (h, r) = Make();
        var tree = Git.Ok(h.Work, "rev-parse", h.Second + "^{tree}");
        // Written as raw bytes: an author name that is not UTF-8, and a subject with the separators a weaker format would split on.
        var text = Encoding.UTF8.GetBytes($"tree {tree}\nparent {h.Second}\nauthor ")
            .Concat(new byte[] { 0xff, 0xfe, (byte)'B', (byte)'a', (byte)'d' })
            .Concat(Encoding.UTF8.GetBytes(" <bad@example.org> 1700000000 +0000\ncommitter C <c@example.org> 1700000000 +9959\n\n" +
                "Sub\u001eject\u001f with <script>alert(1)</script>\n\nbody line 1\nbody line 2\n")).ToArray();
        var id = Git.OkWithInput(h.Work, text, "hash-object", "-t", "commit", "-w", "--stdin");
        Git.Ok(h.Work, "update-ref", "refs/heads/hostile", id);
        h.Push("hostile:hostile");

        var browser = Browser();
        var list = await browser.CommitsAsync(r, "refs/heads/hostile", null, 0, 2, CancellationToken.None);
        Assert.Equal(id, list.Commits[0].Id);
        Assert.Equal("Sub\u001eject\u001f with <script>alert(1)</script>", list.Commits[0].Subject);
        Assert.Equal("\ufffd\ufffdBad", list.Commits[0].Author);
        Assert.Equal(h.Second, list.Commits[1].Id);

        var commit = await browser.CommitAsync(r, id, CancellationToken.None);
        Assert.Equal("\ufffd\ufffdBad", commit!.Author.Name);
        // +99:59 is a zone git accepts and .NET cannot hold: no date, the raw text kept.
        Assert.Null(commit.Committer.When);
        Assert.Equal("1700000000 +9959", commit.Committer.RawDate);
        Assert.Equal("Sub\u001eject\u001f with <script>alert(1)</script>\n\nbody line 1\nbody line 2", commit.Message);
    }

    [Theory]
    [InlineData("--output=/tmp/wharf-history-pwned")]
    [InlineData("-p")]
    [InlineData("main..trunk")]
    [InlineData("main...trunk")]
    [InlineData("main:README.md")]
    [InlineData(":/Root")]
    [InlineData("main trunk")]
    [InlineData("main\n--all")]
    [InlineData("")]
    public async Task RevisionsThatGitWouldReadAsOptionsRangesOrPathsAreUnknown(string revision)
    {
        var (_, r) = Make();
        var browser = Browser();
        Assert.Empty((await browser.CommitsAsync(r, revision, null, 0, 10, CancellationToken.None)).Commits);
        Assert.Null(await browser.CommitAsync(r, revision, CancellationToken.None));
        Assert.Null(await browser.DiffAsync(r, null, revision, CancellationToken.None));
        Assert.Null(await browser.DiffAsync(r, revision, "main", CancellationToken.None));
        Assert.Null(await browser.AheadBehindAsync(r, revision, "main", CancellationToken.None));
        using var patch = new MemoryStream();
        Assert.False(await browser.CopyPatchAsync(r, null, revision, patch, CancellationToken.None));
        Assert.Equal(0, patch.Length);
        Assert.False(File.Exists("/tmp/wharf-history-pwned"));
    }

    [Fact]
    public async Task AheadBehindCountsBothSidesAndAnUnknownCommitGivesNone()
    {
        var (h, r) = Make();
        var browser = Browser();
        // trunk: one commit not on main; main: the feature commit, its own and the merge, none on trunk.
        Assert.Equal(new AheadBehind(1, 3), await browser.AheadBehindAsync(r, h.Trunk, "main", CancellationToken.None));
        Assert.Equal(new AheadBehind(0, 0), await browser.AheadBehindAsync(r, "main", "main", CancellationToken.None));
        Assert.Null(await browser.AheadBehindAsync(r, "no-such-branch", "main", CancellationToken.None));
    }

    [Fact]
    public async Task ThePatchStreamsGitsDiffAndAnUnknownCommitWritesNothing()
    {
        var (h, r) = Make();
        using var patch = new MemoryStream();
        Assert.True(await Browser().CopyPatchAsync(r, null, h.Second, patch, CancellationToken.None));
        var text = Encoding.UTF8.GetString(patch.ToArray());
        Assert.StartsWith("diff --git ", text);
        Assert.Contains("rename from old-name.txt\nrename to new-name.txt\n", text);
        Assert.Contains("Binary files /dev/null and b/logo.bin differ\n", text);
        using var none = new MemoryStream();
        Assert.False(await Browser().CopyPatchAsync(r, null, "0123456789abcdef0123456789abcdef01234567", none, CancellationToken.None));
        Assert.Equal(0, none.Length);
    }
}
