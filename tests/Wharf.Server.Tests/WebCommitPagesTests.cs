using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Web.Code;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// The history pages through the real host, on a repository with real history pushed into it: the commit list (default
/// branch, a branch with '/', a path, paging), a commit with its diff, the raw patch, the cap on a huge commit, the
/// branches and tags pages; a repository one may not read answers exactly as one that does not exist.
/// </summary>
public sealed class WebCommitPagesTests : WebPageTestBase
{
    private async Task<(WebSession Alice, HistoryRepository History)> SiteAsync(bool isPrivate = true)
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site", isPrivate: isPrivate);
        return (alice, HistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "site")));
    }

    [Fact]
    public async Task TheCommitListShowsTheDefaultBranchNewestFirstEachLinkedToItsPage()
    {
        var (alice, h) = await SiteAsync();
        var (status, html) = await alice.GetAsync("/alice/site/commits");
        Assert.Equal(HttpStatusCode.OK, status);
        html = Tags(html);
        Assert.Contains("<h1>Commits on main</h1>", html);
        Assert.Contains("<a href=\"/alice/site/commits\" aria-current=\"page\">Commits</a>", html);
        Assert.Equal(["Merge feature/x", "Main moves on", "Feature work", "Rename, binary and a type change", "Root commit"], Subjects(html));
        Assert.Contains($"<tr class=\"commit\" data-id=\"{h.Merge}\"><td data-label=\"Commit\"><a class=\"commit-id mono\" href=\"/alice/site/commits/{h.Merge}\" title=\"{h.Merge}\">{h.Merge[..12]}</a></td>", html);
        Assert.Contains("<td data-label=\"Author\">Alice Author</td>", html);
        Assert.Contains("<td data-label=\"Date\"><time datetime=", html);
        Assert.DoesNotContain("class=\"pagination\"", html);
    }

    [Fact]
    public async Task ABranchWithASlashAndOnePathHaveTheirOwnHistoryAndAnUnknownBranchIsNotFound()
    {
        var (alice, _) = await SiteAsync();
        var feature = Tags((await alice.GetAsync("/alice/site/commits/branch/feature/x")).Html);
        Assert.Contains("<h1>Commits on feature/x</h1>", feature);
        Assert.Equal(["Feature work", "Rename, binary and a type change", "Root commit"], Subjects(feature));

        var trunk = Tags((await alice.GetAsync("/alice/site/commits/branch/trunk?path=new-name.txt")).Html);
        Assert.Equal(["Rename, binary and a type change"], Subjects(trunk));
        Assert.Contains("<span id=\"history-path\">History of <code>new-name.txt</code></span>", trunk);
        Assert.Contains("<a id=\"all-history\" href=\"/alice/site/commits/branch/trunk\">whole branch</a>", trunk);

        var (status, missing) = await alice.GetAsync("/alice/site/commits/branch/nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(E("There is no branch 'nope' in alice/site."), PageErrorOf(missing));
        // A tag is not a branch, even where git would take its name as a revision.
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site/commits/branch/v1.0")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site/commits/branch/--all")).Status);
    }

    [Fact]
    public async Task TheListPagesThirtyAtATimeWithOlderAndNewerLinks()
    {
        var (alice, h) = await SiteAsync();
        for (var i = 1; i <= 30; i++) h.Commit($"Commit number {i}");
        h.Push("main:main");
        var first = Tags((await alice.GetAsync("/alice/site/commits")).Html);
        Assert.Equal(30, Subjects(first).Count);
        Assert.Equal("Commit number 30", Subjects(first)[0]);
        Assert.Contains("<a id=\"older\" rel=\"next\" class=\"button button-secondary\" href=\"/alice/site/commits?page=2\">Older</a>", first);
        Assert.DoesNotContain("id=\"newer\"", first);
        var second = Tags((await alice.GetAsync("/alice/site/commits?page=2")).Html);
        Assert.Equal(["Merge feature/x", "Main moves on", "Feature work", "Rename, binary and a type change", "Root commit"], Subjects(second));
        Assert.Contains("<a id=\"newer\" rel=\"prev\" class=\"button button-secondary\" href=\"/alice/site/commits\">Newer</a>", second);
        Assert.DoesNotContain("id=\"older\"", second);
        Assert.Contains("<span id=\"page-number\">Page 2</span>", second);
    }

    [Fact]
    public async Task ACommitPageShowsBothPeopleItsParentItsMessageAndTheDiffFileByFile()
    {
        var (alice, h) = await SiteAsync();
        var (status, raw) = await alice.GetAsync($"/alice/site/commits/{h.Second}");
        Assert.Equal(HttpStatusCode.OK, status);
        var html = Tags(raw);
        Assert.Contains("<h1>Rename, binary and a type change</h1>", html);
        Assert.Contains($"<code id=\"commit-id\" class=\"mono\">{h.Second}</code>", html);
        Assert.Contains("<dd id=\"commit-author\"><span class=\"person-name\">Alice Author</span><span class=\"person-email muted\">&lt;alice@example.org&gt;</span> &#xB7; <time datetime=", html);
        Assert.Contains("<dd id=\"commit-committer\"><span class=\"person-name\">Alice Author</span>", html);
        Assert.Contains($"<dt>Parent</dt><dd id=\"commit-parents\"><a class=\"commit-parent mono\" href=\"/alice/site/commits/{h.Root}\" title=\"{h.Root}\">{h.Root[..12]}</a>", html);
        Assert.Contains("<pre id=\"commit-message\" class=\"commit-message\">The body &lt;b&gt;says&lt;/b&gt; more.&#xA;Over two lines.</pre>", html);
        Assert.DoesNotContain("<b>says</b>", html);
        Assert.Contains("<p id=\"diff-summary\">4 files changed <span class=\"diff-added-count\">&#x2B;", html);
        Assert.Contains("<span class=\"badge badge-accent\">Renamed</span><h3 class=\"diff-file-name\" id=\"file-3-name\"><span class=\"diff-old-path\">old-name.txt</span> &#x2192; <span class=\"diff-new-path\">new-name.txt</span></h3>" +
            "<span class=\"diff-file-counts\"><span class=\"diff-added-count\">&#x2B;2</span><span class=\"diff-deleted-count\">−1</span></span>", html);
        Assert.Contains("<tr class=\"diff-line diff-del\"><td class=\"diff-num\">3</td><td class=\"diff-num\"></td><td class=\"diff-sign\">&#x2212;</td><td class=\"diff-text\">three</td></tr>", html);
        Assert.Contains("<tr class=\"diff-line diff-add\"><td class=\"diff-num\"></td><td class=\"diff-num\">3</td><td class=\"diff-sign\">&#x2B;</td><td class=\"diff-text\">THREE</td></tr>", html);
        Assert.Contains("<span class=\"badge badge-success\">Added</span><h3 class=\"diff-file-name\" id=\"file-2-name\">logo.bin</h3></header><p class=\"diff-note\">Binary file, not shown.</p>", html);
        Assert.Contains("<span class=\"badge\">Type changed</span><h3 class=\"diff-file-name\" id=\"file-4-name\">typed</h3>", html);
        Assert.Contains("<span class=\"badge badge-danger\">Deleted</span><h3 class=\"diff-file-name\" id=\"file-1-name\">gone.txt</h3>", html);
        Assert.Contains($"<a id=\"raw-patch\" class=\"button button-secondary\" href=\"/alice/site/commits/{h.Second}/patch\">Raw patch</a>", html);
        Assert.DoesNotContain("id=\"diff-capped\"", html);

        var root = Tags((await alice.GetAsync($"/alice/site/commits/{h.Root}")).Html);
        Assert.Contains("<dd id=\"commit-parents\"><span class=\"muted\">none (the first commit)</span></dd>", root);
        Assert.Contains("<p id=\"diff-summary\">4 files changed <span class=\"diff-added-count\">&#x2B;9</span><span class=\"diff-deleted-count\">−0</span></p>", root);
        var merge = Tags((await alice.GetAsync($"/alice/site/commits/{h.Merge}")).Html);
        Assert.Contains("<dt>Parents</dt>", merge);
        Assert.Contains($"href=\"/alice/site/commits/{h.Feature}\"", merge);
        Assert.Contains("<h3 class=\"diff-file-name\" id=\"file-1-name\">feature.txt</h3>", merge);
    }

    [Fact]
    public async Task AnUnknownOrMalformedCommitIsNotFound()
    {
        var (alice, _) = await SiteAsync();
        var (status, html) = await alice.GetAsync("/alice/site/commits/0123456789abcdef0123456789abcdef01234567");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(E("There is no commit '0123456789abcdef0123456789abcdef01234567' in alice/site."), PageErrorOf(html));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site/commits/main")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site/commits/--output=x")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site/commits/0123456789abcdef0123456789abcdef01234567/patch")).Status);
    }

    [Fact]
    public async Task ThePatchIsPlainTextThatNoBrowserSniffsOrRuns()
    {
        var (alice, h) = await SiteAsync();
        h.Write("page.html", "<script>alert(1)</script>\n");
        Git.Ok(h.Work, "add", "-A");
        var id = h.Commit("An HTML file");
        h.Push("main:main");
        using var response = await alice.Client.GetAsync($"/alice/site/commits/{id}/patch");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'; sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("diff --git a/page.html b/page.html\nnew file mode 100644\n", text);
        Assert.Contains("+<script>alert(1)</script>\n", text);
    }

    [Fact]
    public async Task ACommitTouchingTenThousandFilesShowsTheCapNoteWithALinkToTheRawPatch()
    {
        var (alice, h) = await SiteAsync();
        for (var i = 0; i < 10_000; i++) h.Write($"many/f{i:D5}.txt", "x\n");
        Git.Ok(h.Work, "add", "-A");
        var id = h.Commit("Ten thousand files");
        h.Push("main:main");
        var (status, raw) = await alice.GetAsync($"/alice/site/commits/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        var html = Tags(raw);
        Assert.Contains("<p id=\"diff-summary\">10,000 files changed <span class=\"diff-added-count\">&#x2B;300</span>", html);
        Assert.Contains("This diff is too large to show in full: 9,700 more files are not listed.", html);
        Assert.Contains($"<a id=\"diff-capped-patch\" href=\"/alice/site/commits/{id}/patch\">See the raw patch</a>", html);
        Assert.Equal(300, CountOf(html, "<section class=\"diff-file\""));
    }

    [Fact]
    public async Task HostileCommitTextIsShownAsText()
    {
        var (alice, h) = await SiteAsync();
        var id = h.Commit("<img src=x onerror=alert(1)> & \"quotes\"");
        h.Push("main:main");
        var list = Tags((await alice.GetAsync("/alice/site/commits")).Html);
        Assert.Contains("<td data-label=\"Message\" class=\"commit-subject\">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;</td>", list);
        var page = Tags((await alice.GetAsync($"/alice/site/commits/{id}")).Html);
        Assert.Contains("<h1>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;</h1>", page);
        Assert.DoesNotContain("<img src=x", page);
    }

    [Fact]
    public async Task AnEmptyRepositoryHasNoCommitsYet()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var (status, html) = await alice.GetAsync("/alice/site/commits");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<div class=\"empty-state\" id=\"no-commits\"><p class=\"empty-title\">No commits yet.</p>", Tags(html));
    }

    [Fact]
    public async Task APrivateRepositorysHistoryAnswersOthersExactlyAsAMissingOne()
    {
        var (_, h) = await SiteAsync();
        using var bob = await SignUpAsync("bob");
        foreach (var path in new[] { "/alice/site/commits", $"/alice/site/commits/{h.Second}", $"/alice/site/commits/{h.Second}/patch",
                     "/alice/site/commits/branch/main", "/alice/site/branches", "/alice/site/tags" })
        {
            var (status, html) = await bob.GetAsync(path);
            var (missingStatus, missing) = await bob.GetAsync(path.Replace("/alice/site/", "/alice/nothing/", StringComparison.Ordinal));
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (status, missingStatus));
            Assert.Equal(E("Repository 'alice/site' does not exist, or you do not have access to it."), PageErrorOf(html));
            Assert.Equal(E("Repository 'alice/nothing' does not exist, or you do not have access to it."), PageErrorOf(missing));
        }
    }

    [Fact]
    public async Task TheBranchesPageMarksTheDefaultBranchAndCountsAheadAndBehindIt()
    {
        var (alice, h) = await SiteAsync();
        var (status, raw) = await alice.GetAsync("/alice/site/branches");
        Assert.Equal(HttpStatusCode.OK, status);
        var html = Tags(raw);
        Assert.Contains("<a href=\"/alice/site/branches\" aria-current=\"page\">Branches</a>", html);
        Assert.Contains("<tr class=\"branch\" data-name=\"main\"><td data-label=\"Branch\"><a class=\"branch-name\" href=\"/alice/site/commits/branch/main\">main</a><span class=\"badge badge-accent default-branch\">Default</span></td>", html);
        Assert.Contains($"<a class=\"commit-id mono\" href=\"/alice/site/commits/{h.Merge}\" title=\"{h.Merge}\">{h.Merge[..12]}</a><span class=\"commit-subject\">Merge feature/x</span>", html);
        Assert.True(html.IndexOf("data-name=\"main\"", StringComparison.Ordinal) < html.IndexOf("data-name=\"trunk\"", StringComparison.Ordinal));
        Assert.Contains("<a class=\"branch-name\" href=\"/alice/site/commits/branch/feature/x\">feature/x</a>", html);
        Assert.Contains("<th scope=\"col\">Ahead / behind main</th>", html);
        Assert.Contains("<span title=\"1 commits not on main\">1 ahead</span>, <span title=\"3 commits on main not here\">3 behind</span>", html);
        Assert.Contains("<span title=\"0 commits not on main\">0 ahead</span>, <span title=\"2 commits on main not here\">2 behind</span>", html);
    }

    [Fact]
    public async Task TheTagsPageShowsEachTagsCommitDateAndAnnotatedMessage()
    {
        var (alice, h) = await SiteAsync();
        var (status, raw) = await alice.GetAsync("/alice/site/tags");
        Assert.Equal(HttpStatusCode.OK, status);
        var html = Tags(raw);
        Assert.Contains("<tr class=\"tag\" data-name=\"v1.0\"><td data-label=\"Tag\"><a class=\"tag-name\" href=\"/alice/site/src/v1.0/\">v1.0</a></td>" +
            $"<td data-label=\"Commit\"><a class=\"commit-id mono\" href=\"/alice/site/commits/{h.Second}\" title=\"{h.Second}\">{h.Second[..12]}</a><span class=\"commit-subject\">Rename, binary and a type change</span></td>" +
            "<td data-label=\"Date\"><time datetime=", html);
        Assert.Contains("<td data-label=\"Message\" class=\"tag-message\">Release 1.0</td>", html);
        Assert.Contains("<tr class=\"tag\" data-name=\"light\">", html);
        Assert.Contains($"href=\"/alice/site/commits/{h.Root}\"", html);
    }

    [Fact]
    public async Task EveryHistoryPageAnswersTooSlowPastBrowseTimeoutAsTheSourcePagesDo()
    {
        var (alice, h) = await SiteAsync();
        // A deadline already past when each read starts (as GitHistoryTests does), so even a fast read cannot beat it.
        Host.Services.GetRequiredService<Wharf.Core.Browse.BrowseLimits>().Timeout = TimeSpan.FromTicks(1);
        foreach (var page in new[]
        {
            "/alice/site/commits", "/alice/site/commits/branch/feature/x", $"/alice/site/commits/{h.Merge}", $"/alice/site/commits/{h.Merge}/patch",
            "/alice/site/branches", "/alice/site/tags",
        })
        {
            var (status, html) = await alice.GetAsync(page);
            Assert.Equal((page, HttpStatusCode.ServiceUnavailable), (page, status));
            Assert.Contains("<h1>Too slow</h1>", Tags(html));
            Assert.Equal(E("Reading the repository took longer than 0 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout."), PageErrorOf(html));
        }
    }

    private static List<string> Subjects(string html) =>
        System.Text.RegularExpressions.Regex.Matches(html, "<td data-label=\"Message\" class=\"commit-subject\">([^<]*)</td>")
            .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
