using Wharf.Core.Browse;
using Wharf.Core.Browse.Git;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary><see cref="GitCodeBrowser"/>'s refs, ref/path resolution, caps and deadline on bare repositories made by real git.</summary>
public sealed class GitCodeBrowserTests : IDisposable
{
    private readonly TestData _data = new();
    private readonly RepositoryInfo _repository;

    public GitCodeBrowserTests()
    {
        var bare = Path.Combine(_data.Root, "site.git");
        Git.Ok(_data.Root, "init", "-q", "--bare", bare);
        SourceRepositories.PushDemo(_data.Root, bare);
        Git.Ok(bare, "branch", "release/2.0", "trunk");
        _repository = new RepositoryInfo(1, 1, "alice", "site", bare);
    }

    public void Dispose() => _data.Dispose();

    private static GitCodeBrowser Browser(BrowseLimits? limits = null) => new(new GitBinary(), limits ?? new BrowseLimits());

    private string Rev(string name) => Git.Ok(_repository.Path, "rev-parse", name);

    [Fact]
    public async Task Refs_list_branches_with_the_default_marked_and_tags_peeled_to_their_commit()
    {
        var refs = await Browser().RefsAsync(_repository, CancellationToken.None);
        Assert.Equal(
            [("main", RefKind.Branch, Rev("main"), true), ("release/2.0", RefKind.Branch, Rev("trunk"), false), ("trunk", RefKind.Branch, Rev("trunk"), false),
             ("light", RefKind.Tag, Rev("trunk"), false), ("v1.0", RefKind.Tag, Rev("main"), false)],
            refs.Select(r => (r.Name, r.Kind, r.Target, r.IsDefault)).ToList());
        Assert.Equal("Release 1.0", refs.Single(r => r.Name == "v1.0").Message);
        Assert.Null(refs.Single(r => r.Name == "light").Message);
        Assert.All(refs, r => Assert.Null(r.Ahead));
    }

    [Theory]
    [InlineData("main", "main", "")]
    [InlineData("main/", "main", "")]
    [InlineData("main/src/app.cs", "main", "src/app.cs")]
    [InlineData("release/2.0/src/trunk-only.txt", "release/2.0", "src/trunk-only.txt")]
    [InlineData("v1.0/docs", "v1.0", "docs")]
    public async Task Resolve_takes_the_longest_ref_and_leaves_the_rest_as_the_path(string input, string reference, string path)
    {
        var at = await Browser().ResolveAsync(_repository, input, CancellationToken.None);
        Assert.Equal((reference, Rev(reference + "^{commit}"), path), (at?.Ref, at?.Commit, at?.Path));
    }

    [Fact]
    public async Task Resolve_takes_a_full_or_abbreviated_commit_id_and_refuses_revision_syntax_and_bad_paths()
    {
        var id = Rev("trunk");
        var browser = Browser();
        Assert.Equal(new RefPath(id[..7], id, "src"), await browser.ResolveAsync(_repository, id[..7] + "/src", CancellationToken.None));
        Assert.Equal(new RefPath(id, id, ""), await browser.ResolveAsync(_repository, id, CancellationToken.None));
        foreach (var bad in new[] { "main/../../config", "main//etc/passwd", "/main", "main/a\nb", "main/./src", "HEAD~1", "main^", "main:src",
            "nope", "", Rev("main^{tree}") })
            Assert.Null(await browser.ResolveAsync(_repository, bad, CancellationToken.None));
    }

    [Fact]
    public async Task A_directory_is_capped_at_MaxTreeEntries_with_the_rest_counted_and_a_file_over_MaxFileBytes_is_not_read()
    {
        var browser = Browser(new BrowseLimits { MaxTreeEntries = 2, MaxFileBytes = 10 });
        var tree = await browser.TreeAsync(_repository, Rev("main"), "", CancellationToken.None);
        Assert.NotNull(tree);
        Assert.Equal((2, 3), (tree.Entries.Count, tree.Omitted));
        var file = await browser.FileAsync(_repository, Rev("main"), "src/app.cs", CancellationToken.None);
        Assert.Equal((true, false, (string?)null, 111L), (file?.TooLarge, file?.IsBinary, file?.Text, file?.Size));
        var small = await browser.FileAsync(_repository, Rev("main"), "docs/guide.md", CancellationToken.None);
        Assert.Equal((false, "# Guide\n"), (small?.TooLarge, small?.Text));
        Assert.Null(await browser.FileAsync(_repository, Rev("main"), "docs", CancellationToken.None));
        Assert.Null(await browser.TreeAsync(_repository, Rev("main"), "docs/guide.md", CancellationToken.None));
        Assert.Null(await browser.TreeAsync(_repository, "main", "", CancellationToken.None));
    }

    [Fact]
    public async Task A_read_past_Browse_Timeout_kills_git_and_says_so()
    {
        var browser = Browser(new BrowseLimits { Timeout = TimeSpan.FromMilliseconds(1) });
        var e = await Assert.ThrowsAsync<WharfException>(() => browser.FileAsync(_repository, Rev("main"), "src/app.cs", CancellationToken.None));
        Assert.Equal((ErrorCategory.Unavailable, BrowseErrors.TimeoutCode), (e.Category, e.Code));
        Assert.Equal("Reading the repository took longer than 1 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout.", e.Message);
    }

    [Fact]
    public async Task A_kept_reader_is_used_again_and_finds_objects_written_after_it_started_even_after_a_repack()
    {
        var browser = Browser();
        Assert.NotNull(await browser.TreeAsync(_repository, Rev("main"), "", CancellationToken.None));
        Assert.NotNull(await browser.FileAsync(_repository, Rev("main"), "src/app.cs", CancellationToken.None));
        // One reader served both calls and waits for the next.
        Assert.Equal(1, browser.Readers.IdleCount);

        var blob = Git.OkWithInput(_repository.Path, "fresh\n"u8.ToArray(), "hash-object", "-w", "--stdin");
        var tree = Git.OkWithInput(_repository.Path, System.Text.Encoding.ASCII.GetBytes($"100644 blob {blob}\tfresh.txt\0"), "mktree", "-z");
        var commit = Git.Ok(_repository.Path, "-c", "user.name=Bob", "-c", "user.email=bob@example.org", "commit-tree", tree, "-p", Rev("main"), "-m", "Fresh");
        Git.Ok(_repository.Path, "update-ref", "refs/heads/fresh", commit);
        // Every object moves into one new pack and the packs the reader had open are deleted.
        Git.Ok(_repository.Path, "repack", "-a", "-d", "-q");

        var listing = await browser.TreeAsync(_repository, commit, "", CancellationToken.None);
        Assert.Equal(["fresh.txt"], listing?.Entries.Select(e => e.Name));
        Assert.Equal("fresh\n", (await browser.FileAsync(_repository, commit, "fresh.txt", CancellationToken.None))?.Text);
        Assert.Equal("Fresh", (await browser.CommitAsync(_repository, commit, CancellationToken.None))?.Message);
        Assert.Equal(1, browser.Readers.IdleCount);
    }

    [Fact]
    public async Task A_second_view_of_a_directory_at_the_same_commit_starts_no_git_and_a_new_commit_is_listed_at_once()
    {
        var main = Rev("main");
        var first = await Browser().TreeAsync(_repository, main, "", CancellationToken.None);
        Assert.NotNull(first);
        static List<(string, long?, string?)> Rows(TreeListing? t) => t!.Entries.Select(e => (e.Name, e.Size, e.LastCommit?.Id)).ToList();

        // A browser of its own (so no reader is kept for it) whose every git process is written to a log.
        var log = Path.Combine(_data.Root, "tree-git-runs.log");
        using var counted = new GitCodeBrowser(new GitBinary(Support.CountingTool.Write(Path.Combine(_data.Root, "counting-git"), "git", log)), new BrowseLimits());
        var second = await counted.TreeAsync(_repository, main, "", CancellationToken.None);
        // The listing kept for this commit: no object reader started, no last-commit walk.
        Assert.False(File.Exists(log), File.Exists(log) ? File.ReadAllText(log) : "");
        Assert.Equal(Rows(first), Rows(second));

        // A push moves main to a new commit with one more file: the next view lists it, with that commit beside it.
        var blob = Git.OkWithInput(_repository.Path, "pushed\n"u8.ToArray(), "hash-object", "-w", "--stdin");
        var tree = Git.OkWithInput(_repository.Path, System.Text.Encoding.UTF8.GetBytes(Git.Ok(_repository.Path, "ls-tree", main) + $"\n100644 blob {blob}\tpushed.txt\n"), "mktree");
        var pushed = Git.Ok(_repository.Path, "-c", "user.name=Bob", "-c", "user.email=bob@example.org", "commit-tree", tree, "-p", main, "-m", "Pushed after the first view");
        Git.Ok(_repository.Path, "update-ref", "refs/heads/main", pushed);
        var after = await counted.TreeAsync(_repository, Rev("main"), "", CancellationToken.None);
        Assert.Equal((7L, (string?)pushed), after!.Entries.Where(e => e.Name == "pushed.txt").Select(e => (e.Size ?? 0, e.LastCommit?.Id)).Single());
        Assert.Equal(Rows(first).Count + 1, after.Entries.Count);
        Assert.True(File.Exists(log));
    }

    [Fact]
    public async Task A_reader_stopped_at_the_deadline_is_not_kept()
    {
        // A deadline already past when the read starts, so even a fast read cannot beat it.
        var limits = new BrowseLimits { Timeout = TimeSpan.FromTicks(1) };
        var browser = Browser(limits);
        await Assert.ThrowsAsync<WharfException>(() => browser.FileAsync(_repository, Rev("main"), "src/app.cs", CancellationToken.None));
        Assert.Equal(0, browser.Readers.IdleCount);
        limits.Timeout = TimeSpan.FromSeconds(10);
        Assert.Equal(111L, (await browser.FileAsync(_repository, Rev("main"), "src/app.cs", CancellationToken.None))?.Size);
    }

    [Fact]
    public async Task The_ref_listing_is_kept_while_the_ref_files_are_unchanged_and_never_outlives_a_ref_update()
    {
        var limits = new BrowseLimits();
        var browser = Browser(limits);
        // The ref files as a repository has them a while after its last push (newer ones are listed by git every time).
        var old = DateTime.UtcNow.AddMinutes(-1);
        foreach (var file in new[] { "HEAD", "packed-refs" }.Select(f => Path.Combine(_repository.Path, f)).Where(File.Exists))
            File.SetLastWriteTimeUtc(file, old);
        foreach (var top in new[] { "refs/heads", "refs/tags" }.Select(d => Path.Combine(_repository.Path, d)))
            foreach (var dir in Directory.GetDirectories(top, "*", SearchOption.AllDirectories).Append(top))
                Directory.SetLastWriteTimeUtc(dir, old);
        var first = await browser.RefsAsync(_repository, CancellationToken.None);

        // Kept: git does not run, so a deadline it could never meet does not matter.
        limits.Timeout = TimeSpan.FromTicks(1);
        Assert.Same(first, await browser.RefsAsync(_repository, CancellationToken.None));

        // Moved: git lists again (and is stopped at the deadline) instead of the old listing being answered.
        Git.Ok(_repository.Path, "update-ref", "refs/heads/main", Rev("trunk"));
        var e = await Assert.ThrowsAsync<WharfException>(() => browser.RefsAsync(_repository, CancellationToken.None));
        Assert.Equal(BrowseErrors.TimeoutCode, e.Code);
        limits.Timeout = TimeSpan.FromSeconds(10);
        Assert.Equal(Rev("trunk"), (await browser.RefsAsync(_repository, CancellationToken.None)).Single(r => r.Name == "main").Target);
    }
}
