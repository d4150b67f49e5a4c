using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core.Repositories;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// The code pages for a Mercurial repository through the real host, on history made by real hg and pushed into the
/// repository (<see cref="HgHistoryRepository"/>): the tree and README, a file, the changeset list of the default
/// branch, a named branch and a bookmark, a changeset with its diff and raw patch, the branches and tags pages, and an
/// empty repository; each in Mercurial's words (changesets, <c>default</c>, bookmarks).
/// </summary>
public sealed class WebHgCodePagesTests : WebPageTestBase
{
    private async Task<(WebSession Alice, HgHistoryRepository History)> SiteAsync()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "notes", scm: "hg");
        return (alice, HgHistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "notes", Scm.Hg)));
    }

    [Fact]
    public async Task TheRepositoryPageShowsTheDefaultBranchTreeTheRenderedReadmeAndBranchesAndBookmarksToChooseFrom()
    {
        var (alice, h) = await SiteAsync();
        var (status, html) = await alice.GetAsync("/alice/notes");
        Assert.Equal(HttpStatusCode.OK, status);
        html = Tags(html);
        Assert.Contains("<select id=\"ref-select\" name=\"ref\" data-autosubmit><optgroup label=\"Branches\"><option value=\"default\" selected>default (default)</option>" +
            "<option value=\"stable\">stable</option></optgroup><optgroup label=\"Tags\"><option value=\"v1.0\">v1.0</option></optgroup>" +
            "<optgroup label=\"Bookmarks\"><option value=\"feature\">feature</option></optgroup></select>", html);
        // Mercurial's words: bookmarks can be chosen too, and a tree entry's last change is a changeset.
        Assert.Contains("<label for=\"ref-select\">Branch, bookmark or tag</label>", html);
        Assert.Contains("<th scope=\"col\">Last changeset</th>", html);
        Assert.Equal(new[] { "docs", "README.md", "new.txt", ".hgtags" }.Order(), EntryNames(html).Order());
        Assert.Contains("<a class=\"entry-name\" href=\"/alice/notes/src/default/docs\">docs/</a>", html);
        Assert.Contains($"<tr class=\"entry entry-file\" data-name=\"new.txt\"><td data-label=\"Name\"><span class=\"entry-kind\" aria-hidden=\"true\">&#x1F4C4;</span><a class=\"entry-name\" href=\"/alice/notes/src/default/new.txt\">new.txt</a></td>" +
            $"<td data-label=\"Size\">23 bytes</td><td data-label=\"Last changeset\"><a class=\"commit-id mono\" href=\"/alice/notes/commits/{h.Rename}\" title=\"{h.Rename}\">{h.Rename[..12]}</a><span class=\"commit-subject\">Rename old.txt</span></td>", html);
        Assert.Contains("<div class=\"markdown\" id=\"readme-body\"><h2 id=\"readme-notes\">Notes</h2><p>Kept in <strong>Mercurial</strong>.</p></div>", html);
        Assert.DoesNotContain("id=\"empty-repository\"", html);
    }

    [Fact]
    public async Task ADirectoryAFileWithLineNumbersTheRawBytesAndATagOrBookmarkAsTheRef()
    {
        var (alice, _) = await SiteAsync();
        var docs = Tags((await alice.GetAsync("/alice/notes/src/default/docs")).Html);
        Assert.Equal(["guide.txt"], EntryNames(docs));

        var (status, file) = await alice.GetAsync("/alice/notes/src/default/new.txt");
        Assert.Equal(HttpStatusCode.OK, status);
        file = Tags(file);
        Assert.Contains("<caption class=\"visually-hidden\">new.txt, 4 lines</caption>", file);
        Assert.Contains("<tr id=\"lines-4\"><td class=\"line-number\"><a href=\"#lines-4\">4</a></td><td class=\"line-code\"><code>delta</code></td></tr>", file);
        Assert.Contains("<a id=\"raw-link\" class=\"button button-secondary button-small\" href=\"/alice/notes/raw/default/new.txt\">Raw</a>", file);

        using var raw = await alice.Client.GetAsync("/alice/notes/raw/default/new.txt");
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", raw.Content.Headers.ContentType?.ToString());
        Assert.Equal("alpha\nbeta\ngamma\ndelta\n", await raw.Content.ReadAsStringAsync());

        // At the tag the rename has not happened; the bookmark sits on the stable branch.
        Assert.Equal(new[] { "docs", "README.md", "old.txt" }.Order(), EntryNames(Tags((await alice.GetAsync("/alice/notes/src/v1.0/")).Html)).Order());
        Assert.Contains("stable.txt", EntryNames(Tags((await alice.GetAsync("/alice/notes/src/feature/")).Html)));
        var (missing, page) = await alice.GetAsync("/alice/notes/src/nope/");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(E("alice/notes has no branch, tag or commit 'nope'."), PageErrorOf(page));
    }

    [Fact]
    public async Task TheChangesetListFollowsTheDefaultBranchANamedBranchAndABookmark()
    {
        var (alice, h) = await SiteAsync();
        var (status, html) = await alice.GetAsync("/alice/notes/commits");
        Assert.Equal(HttpStatusCode.OK, status);
        html = Tags(html);
        Assert.Contains("<h1>Changesets on default</h1>", html);
        Assert.Contains("<thead><tr><th scope=\"col\">Changeset</th><th scope=\"col\">Message</th><th scope=\"col\">Author</th><th scope=\"col\">Date</th></tr></thead>", html);
        Assert.Equal(["Rename old.txt", "Tag v1.0", "Root changeset"], Subjects(html));
        Assert.Contains($"<tr class=\"commit\" data-id=\"{h.Rename}\"><td data-label=\"Changeset\"><a class=\"commit-id mono\" href=\"/alice/notes/commits/{h.Rename}\" title=\"{h.Rename}\">{h.Rename[..12]}</a></td>" +
            "<td data-label=\"Message\" class=\"commit-subject\">Rename old.txt</td><td data-label=\"Author\">Alice Example</td>", html);

        var stable = Tags((await alice.GetAsync("/alice/notes/commits/branch/stable")).Html);
        Assert.Contains("<h1>Changesets on stable</h1>", stable);
        Assert.Equal(["Stable fix", "Root changeset"], Subjects(stable));
        Assert.Equal(["Stable fix", "Root changeset"], Subjects(Tags((await alice.GetAsync("/alice/notes/commits/branch/feature")).Html)));
        Assert.Equal(["Rename old.txt"], Subjects(Tags((await alice.GetAsync("/alice/notes/commits?path=new.txt")).Html)));

        var (missing, page) = await alice.GetAsync("/alice/notes/commits/branch/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(E("There is no branch 'nope' in alice/notes."), PageErrorOf(page));
    }

    [Fact]
    public async Task AChangesetPageShowsItsBranchParentMessageAndRenameAndTheRawPatchIsPlainText()
    {
        var (alice, h) = await SiteAsync();
        var (status, html) = await alice.GetAsync($"/alice/notes/commits/{h.Rename}");
        Assert.Equal(HttpStatusCode.OK, status);
        html = Tags(html);
        Assert.Contains("<h1>Rename old.txt</h1>", html);
        Assert.Contains("<h2 id=\"facts-title\" class=\"visually-hidden\">About this changeset</h2>", html);
        Assert.Contains("<dd id=\"commit-author\"><span class=\"person-name\">Alice Example</span><span class=\"person-email muted\">&lt;alice@example.org&gt;</span>", html);
        Assert.Contains("<dt>Branch</dt><dd id=\"commit-branch\">default</dd>", html);
        Assert.Contains($"<dt>Parent</dt><dd id=\"commit-parents\"><a class=\"commit-parent mono\" href=\"/alice/notes/commits/{h.Tagging}\" title=\"{h.Tagging}\">{h.Tagging[..12]}</a></dd>", html);
        Assert.Contains("<pre id=\"commit-message\" class=\"commit-message\">And add a line.</pre>", html);
        Assert.Contains("<p id=\"diff-summary\">1 file changed <span class=\"diff-added-count\">&#x2B;1</span><span class=\"diff-deleted-count\">−0</span></p>", html);
        Assert.Contains("<span class=\"badge badge-accent\">Renamed</span><h3 class=\"diff-file-name\" id=\"file-1-name\"><span class=\"diff-old-path\">old.txt</span> &#x2192; <span class=\"diff-new-path\">new.txt</span></h3>", html);
        Assert.Contains("<tr class=\"diff-line diff-add\"><td class=\"diff-num\"></td><td class=\"diff-num\">4</td><td class=\"diff-sign\">&#x2B;</td><td class=\"diff-text\">delta</td></tr>", html);

        var root = Tags((await alice.GetAsync($"/alice/notes/commits/{h.Root}")).Html);
        Assert.Contains("<dd id=\"commit-parents\"><span class=\"muted\">none (the first changeset)</span></dd>", root);

        using var patch = await alice.Client.GetAsync($"/alice/notes/commits/{h.Rename}/patch");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", patch.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", patch.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("diff --git a/old.txt b/new.txt\nrename from old.txt\nrename to new.txt\n--- a/old.txt\n+++ b/new.txt\n@@ -1,3 +1,4 @@\n alpha\n beta\n gamma\n+delta\n",
            await patch.Content.ReadAsStringAsync());

        var (missing, page) = await alice.GetAsync("/alice/notes/commits/0123456789abcdef0123456789abcdef01234567");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(E("There is no commit '0123456789abcdef0123456789abcdef01234567' in alice/notes."), PageErrorOf(page));
    }

    [Fact]
    public async Task TheBranchesPageMarksDefaultListsStableWithItsCountsAndTheBookmarkAndTheTagsPageListsTheTag()
    {
        var (alice, h) = await SiteAsync();
        var (status, html) = await alice.GetAsync("/alice/notes/branches");
        Assert.Equal(HttpStatusCode.OK, status);
        html = Tags(html);
        Assert.Contains("<thead><tr><th scope=\"col\">Branch</th><th scope=\"col\">Last changeset</th><th scope=\"col\">Updated</th><th scope=\"col\">Ahead / behind default</th></tr></thead>", html);
        Assert.Equal(["default", "feature", "stable"], RowNames(html, "branch"));
        Assert.Contains("<a class=\"branch-name\" href=\"/alice/notes/commits/branch/default\">default</a><span class=\"badge badge-accent default-branch\">Default</span>", html);
        Assert.Contains($"<tr class=\"branch\" data-name=\"stable\"><td data-label=\"Branch\"><a class=\"branch-name\" href=\"/alice/notes/commits/branch/stable\">stable</a></td>" +
            $"<td data-label=\"Last changeset\"><a class=\"commit-id mono\" href=\"/alice/notes/commits/{h.Stable}\" title=\"{h.Stable}\">{h.Stable[..12]}</a><span class=\"commit-subject\">Stable fix</span></td>", html);
        Assert.Contains("<span title=\"1 changesets not on default\">1 ahead</span>, <span title=\"2 changesets on default not here\">2 behind</span>", html);
        Assert.Contains("<a class=\"branch-name\" href=\"/alice/notes/commits/branch/feature\">feature</a><span class=\"badge\">Bookmark</span>", html);

        var tags = Tags((await alice.GetAsync("/alice/notes/tags")).Html);
        Assert.Equal(["v1.0"], RowNames(tags, "tag"));
        Assert.Contains($"<td data-label=\"Changeset\"><a class=\"commit-id mono\" href=\"/alice/notes/commits/{h.Root}\" title=\"{h.Root}\">{h.Root[..12]}</a><span class=\"commit-subject\">Root changeset</span></td>", tags);
        // Mercurial's "tip" names the newest changeset; it is not a tag anyone made.
        Assert.DoesNotContain("data-name=\"tip\"", tags);
    }

    [Fact]
    public async Task AnEmptyMercurialRepositorySaysSoInItsOwnWords()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "empty", scm: "hg");
        var (status, commits) = await alice.GetAsync("/alice/empty/commits");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Changesets on default</h1>", Tags(commits));
        Assert.Contains("<p class=\"empty-title\">No changesets yet.</p>", Tags(commits));
        Assert.Contains("<p class=\"empty-title\">No branches yet.</p>", Tags((await alice.GetAsync("/alice/empty/branches")).Html));
        Assert.Contains("<p>Push a tag (<code>hg tag NAME &amp;&amp; hg push</code>) and it shows here.</p>", Tags((await alice.GetAsync("/alice/empty/tags")).Html));
        var (overview, page) = await alice.GetAsync("/alice/empty");
        Assert.Equal(HttpStatusCode.OK, overview);
        Assert.DoesNotContain("id=\"ref-select\"", page);
    }

    [Fact]
    public async Task AReadPastBrowseTimeoutAnswersTooSlowAsForGit()
    {
        var (alice, _) = await SiteAsync();
        // The running host's limits, shortened so that every hg process is stopped.
        Host.Services.GetRequiredService<Wharf.Core.Browse.BrowseLimits>().Timeout = TimeSpan.FromMilliseconds(1);
        var (status, html) = await alice.GetAsync("/alice/notes/src/default/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("<h1>Too slow</h1>", Tags(html));
        Assert.Equal(E("Reading the repository took longer than 1 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout."), PageErrorOf(html));
    }

    [Fact]
    public async Task TheHistoryBranchesAndTagsPagesAnswerTooSlowPastBrowseTimeoutAsTheSourcePagesDo()
    {
        var (alice, h) = await SiteAsync();
        Host.Services.GetRequiredService<Wharf.Core.Browse.BrowseLimits>().Timeout = TimeSpan.FromMilliseconds(1);
        foreach (var page in new[] { "/alice/notes/commits", "/alice/notes/commits/branch/stable", $"/alice/notes/commits/{h.Rename}", "/alice/notes/branches", "/alice/notes/tags" })
        {
            var (status, html) = await alice.GetAsync(page);
            Assert.Equal((page, HttpStatusCode.ServiceUnavailable), (page, status));
            Assert.Contains("<h1>Too slow</h1>", Tags(html));
            Assert.Equal(E("Reading the repository took longer than 1 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout."), PageErrorOf(html));
        }
    }

    private static List<string> EntryNames(string html) =>
        System.Text.RegularExpressions.Regex.Matches(html, "<tr class=\"entry entry-[a-z]+\" data-name=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();

    private static List<string> Subjects(string html) =>
        System.Text.RegularExpressions.Regex.Matches(html, "<td data-label=\"Message\" class=\"commit-subject\">([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();

    private static List<string> RowNames(string html, string kind) =>
        System.Text.RegularExpressions.Regex.Matches(html, $"<tr class=\"{kind}\" data-name=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
}
