using System.Net;
using Wharf.Server.Web;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// The source pages through the real host, on repositories made by real git: the repository page's tree and README,
/// directory and file views, the ref selector, raw bytes, access, and hostile repositories.
/// </summary>
public sealed class WebSourceTests : WebPageTestBase
{
    private string Bare => Host.Data.Paths.Repository("alice", "site");

    private async Task<WebSession> DemoAsync()
    {
        var alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(alice, "site")).StatusCode);
        SourceRepositories.PushDemo(Host.Data.Root, Bare);
        return alice;
    }

    [Fact]
    public async Task The_repository_page_shows_the_default_branch_tree_and_its_README_rendered_and_sanitised()
    {
        using var alice = await DemoAsync();
        using var response = await alice.Client.GetAsync("/alice/site");
        var page = Tags(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WebPage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());

        Assert.Contains("<a href=\"/alice/site\" aria-current=\"page\">Source</a>", page);
        // Directories first, then files; each with its last commit.
        Assert.Contains("<tr class=\"entry entry-directory\" data-name=\"docs\"><td data-label=\"Name\"><span class=\"entry-kind\" aria-hidden=\"true\">" + E("📁") + "</span><a class=\"entry-name\" href=\"/alice/site/src/main/docs\">docs/</a></td>", page);
        Assert.Contains("<tr class=\"entry entry-file\" data-name=\"README.md\">", page);
        Assert.Matches("data-name=\"src\">.*?<span class=\"commit-subject\">Change the app</span>", page);
        Assert.Matches("data-name=\"docs\">.*?<span class=\"commit-subject\">First commit</span>", page);
        Assert.DoesNotContain("trunk-only", page);
        // The selector: branches (the default marked) and tags, main chosen.
        Assert.Contains("<form id=\"ref-selector\" class=\"ref-selector\" method=\"get\" action=\"/alice/site/src\">", page);
        Assert.Contains("<optgroup label=\"Branches\"><option value=\"main\" selected>main (default)</option><option value=\"trunk\">trunk</option></optgroup>", page);
        Assert.Contains("<optgroup label=\"Tags\"><option value=\"light\">light</option><option value=\"v1.0\">v1.0</option></optgroup>", page);

        // The README: a table, a task list, links inside the repository at the same ref, heading ids kept apart from the page's.
        Assert.Contains("<h2 id=\"readme-title\" class=\"readme-title\">README.md</h2>", page);
        Assert.Contains("<h2 id=\"readme-demo-project\">Demo project</h2>", page);
        Assert.Contains("<table><thead><tr><th>Column</th><th>Value</th></tr></thead><tbody><tr><td>one</td><td>1</td></tr></tbody></table>", page);
        Assert.Contains("<li><input disabled=\"disabled\" type=\"checkbox\" checked=\"checked\" aria-label=\"done\"> done</li><li><input disabled=\"disabled\" type=\"checkbox\" aria-label=\"not done\"> to do</li>", page);
        Assert.Contains("<p><a>click</a></p>", page);
        Assert.Contains("<a href=\"/alice/site/src/main/docs/guide.md\">the guide</a>", page);
        Assert.Contains("<img src=\"/alice/site/raw/main/img/logo.png\" alt=\"logo\">", page);
        Assert.Contains("<a href=\"https://example.org\">https://example.org</a>", page);
        Assert.Contains("<a href=\"#readme-demo-project\">Back up</a>", page);
        // Nothing that runs.
        Assert.DoesNotContain("<script>alert", page);
        Assert.DoesNotContain("onerror", page);
        Assert.DoesNotContain("javascript:", page);
        Assert.DoesNotContain("<iframe", page);
        // What was there before stays: the clone section and the history.
        Assert.Contains("id=\"clone-url\"", page);
        Assert.Contains("<td data-label=\"Message\">Change the app</td>", page);
        Assert.DoesNotContain("id=\"empty-repository\"", page);
    }

    [Fact]
    public async Task An_empty_repository_keeps_the_push_instructions_and_shows_no_tree()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var page = (await alice.GetAsync("/alice/site")).Html;
        Assert.Contains("id=\"empty-repository\"", page);
        Assert.DoesNotContain("id=\"tree\"", page);
        Assert.DoesNotContain("id=\"ref-selector\"", page);
        var (status, src) = await alice.GetAsync("/alice/site/src/main/");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(E("alice/site has no branch, tag or commit 'main'."), PageErrorOf(src));
    }

    [Fact]
    public async Task A_file_shows_numbered_highlighted_lines_with_anchors_size_and_raw_and_download_links()
    {
        using var alice = await DemoAsync();
        var (status, html) = await alice.GetAsync("/alice/site/src/main/src/app.cs");
        Assert.Equal(HttpStatusCode.OK, status);
        var page = Tags(html);
        Assert.Contains("<h2 id=\"file-title\" class=\"file-title\">app.cs</h2><span id=\"file-size\" class=\"muted\">" +
            System.Text.Encoding.UTF8.GetByteCount(SourceRepositories.AppCs + "\n// more\n") + " bytes</span>", page);
        Assert.Contains("<a id=\"raw-link\" class=\"button button-secondary button-small\" href=\"/alice/site/raw/main/src/app.cs\">Raw</a>", page);
        Assert.Contains("<a id=\"download-link\" class=\"button button-secondary button-small\" href=\"/alice/site/raw/main/src/app.cs?download\">Download</a>", page);
        Assert.Contains("<tr id=\"lines-1\"><td class=\"line-number\"><a href=\"#lines-1\">1</a></td><td class=\"line-code\"><code><span class=\"hl-keyword\">using</span> System;</code></td></tr>", page);
        Assert.Contains("<tr id=\"lines-3\"><td class=\"line-number\"><a href=\"#lines-3\">3</a></td><td class=\"line-code\"><code><span class=\"hl-comment\">// Says hello.</span></code></td></tr>", page);
        Assert.Contains("<span class=\"hl-string\">&quot;hello&quot;</span>", page);
        Assert.Contains("<code><span class=\"hl-keyword\">public</span> <span class=\"hl-keyword\">static</span> <span class=\"hl-keyword\">class</span> ", html);
        Assert.Contains("<tr id=\"lines-8\"><td class=\"line-number\"><a href=\"#lines-8\">8</a></td><td class=\"line-code\"><code><span class=\"hl-comment\">// more</span></code></td></tr></tbody>", page);
        Assert.Contains("<nav aria-label=\"Path\" class=\"path-crumbs\" id=\"path-crumbs\"><a href=\"/alice/site/src/main/\">site</a><span aria-hidden=\"true\">/</span><a href=\"/alice/site/src/main/src\">src</a><span aria-hidden=\"true\">/</span><span aria-current=\"page\">app.cs</span></nav>", page);

        // A binary file: a note and the download, no content.
        page = Tags((await alice.GetAsync("/alice/site/src/main/img/logo.png")).Html);
        Assert.Contains("<p id=\"file-note\" class=\"notice\">This is a binary file (8 bytes), not shown. Use the download link.</p>", page);
        Assert.DoesNotContain("id=\"code\"", page);
    }

    [Fact]
    public async Task The_trunk_branch_a_tag_and_a_commit_id_show_their_own_files_and_the_selector_form_lands_there()
    {
        using var alice = await DemoAsync();
        var trunk = Tags((await alice.GetAsync("/alice/site/src/trunk/src")).Html);
        Assert.Contains("data-name=\"trunk-only.txt\"", trunk);
        Assert.Contains("<option value=\"trunk\" selected>trunk</option>", trunk);
        Assert.Contains("<input type=\"hidden\" name=\"path\" value=\"src\" />", trunk);
        Assert.DoesNotContain("data-name=\"trunk-only.txt\"", (await alice.GetAsync("/alice/site/src/v1.0/src")).Html);

        using var chosen = await alice.Client.GetAsync("/alice/site/src?ref=trunk&path=src");
        Assert.Equal(HttpStatusCode.Redirect, chosen.StatusCode);
        Assert.Equal("/alice/site/src/trunk/src", chosen.Headers.Location?.OriginalString);
        using var bare = await alice.Client.GetAsync("/alice/site/src");
        Assert.Equal("/alice/site/src/main/", bare.Headers.Location?.OriginalString);

        var id = Git.Ok(Bare, "rev-parse", "trunk");
        var (status, byId) = await alice.GetAsync($"/alice/site/src/{id[..10]}/src/trunk-only.txt");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("only on trunk", byId);
        Assert.Contains($"<option value=\"{id[..10]}\" selected>{id[..10]}</option>", byId);
        var (missing, text) = await alice.GetAsync("/alice/site/src/nope/x");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(E("alice/site has no branch, tag or commit 'nope'."), PageErrorOf(text));
        (missing, text) = await alice.GetAsync("/alice/site/src/main/no/such.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(E("alice/site has no 'no/such.txt' at main."), PageErrorOf(text));
    }

    [Fact]
    public async Task Raw_sends_text_as_plain_text_and_binary_or_downloads_as_attachments_never_as_html()
    {
        using var alice = await DemoAsync();
        foreach (var path in new[] { "page.html", "img/logo.svg" })
        {
            using var raw = await alice.Client.GetAsync("/alice/site/raw/main/" + path);
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal("text/plain; charset=utf-8", raw.Content.Headers.ContentType?.ToString());
            Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("default-src 'none'; sandbox", raw.Headers.GetValues("Content-Security-Policy").Single());
        }
        using (var html = await alice.Client.GetAsync("/alice/site/raw/main/page.html"))
            Assert.Equal("<html><script>alert(document.cookie)</script></html>\n", await html.Content.ReadAsStringAsync());
        using (var download = await alice.Client.GetAsync("/alice/site/raw/main/page.html?download"))
            Assert.Equal("attachment; filename=page.html; filename*=UTF-8''page.html", download.Content.Headers.ContentDisposition?.ToString());
        using (var png = await alice.Client.GetAsync("/alice/site/raw/main/img/logo.png"))
        {
            Assert.Equal("application/octet-stream", png.Content.Headers.ContentType?.ToString());
            Assert.Equal("attachment; filename=logo.png; filename*=UTF-8''logo.png", png.Content.Headers.ContentDisposition?.ToString());
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0, 1, 2, 3 }, await png.Content.ReadAsByteArrayAsync());
        }
        using var directory = await alice.Client.GetAsync("/alice/site/raw/main/src");
        Assert.Equal(HttpStatusCode.NotFound, directory.StatusCode);
    }

    [Fact]
    public async Task A_private_repository_answers_its_source_and_raw_pages_as_a_missing_one()
    {
        using var alice = await DemoAsync();
        using var bob = await SignUpAsync("bob");
        foreach (var path in new[] { "/src/main/", "/src/main/src/app.cs", "/raw/main/src/app.cs", "/src" })
        {
            var (status, html) = await bob.GetAsync("/alice/site" + path);
            var (missingStatus, missing) = await bob.GetAsync("/alice/nothing" + path);
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (status, missingStatus));
            Assert.Equal(E("Repository 'alice/site' does not exist, or you do not have access to it."), PageErrorOf(html));
            Assert.Equal(E("Repository 'alice/nothing' does not exist, or you do not have access to it."), PageErrorOf(missing));
        }
    }

    [Theory]
    [InlineData("/alice/site/src/main/%2e%2e/%2e%2e/HEAD")]
    [InlineData("/alice/site/raw/main/%2e%2e/%2e%2e/config")]
    [InlineData("/alice/site/raw/main/src/%2e%2e%2f%2e%2e%2fconfig")]
    [InlineData("/alice/site/raw/main//etc/passwd")]
    [InlineData("/alice/site/raw/main/src/app.cs%0a")]
    [InlineData("/alice/site/src/main%2f..%2f..%2fconfig")]
    public async Task Dot_dot_absolute_and_control_character_paths_find_nothing(string url)
    {
        using var alice = await DemoAsync();
        var (status, html) = await alice.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.DoesNotContain("[core]", html);
        Assert.DoesNotContain("root:", html);
    }

    [Fact]
    public async Task A_hostile_repository_renders_every_page_capped_and_never_follows_a_symlink()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var commit = SourceRepositories.WriteHostile(Bare);

        var (status, html) = await alice.GetAsync("/alice/site/src/main/");
        Assert.Equal(HttpStatusCode.OK, status);
        var root = Tags(html);
        // A newline and bytes that are not UTF-8 in names: listed, the latter with replacement characters and a note.
        Assert.Contains("data-name=\"line&#xA;break.txt\"", root);
        Assert.Contains("<a class=\"entry-name\" href=\"/alice/site/src/main/bad%EF%BF%BD%EF%BF%BD.txt\">" + E("bad\uFFFD\uFFFD.txt") + "</a><span class=\"badge small\">not UTF-8</span>", root);
        // The symlink is its text; the submodule its URL and commit.
        Assert.Contains("<a class=\"entry-name\" href=\"/alice/site/src/main/passwd-link\">passwd-link</a><span class=\"muted small\"> → /etc/passwd</span>", root);
        Assert.Contains("<span class=\"entry-name\">lib</span><span class=\"muted small\"> submodule https://example.org/lib.git at <code>1234567890ab</code></span>", root);
        Assert.Contains("data-name=\"huge.bin\"><td data-label=\"Name\"><span class=\"entry-kind\" aria-hidden=\"true\">" + E("📄") + "</span><a class=\"entry-name\" href=\"/alice/site/src/main/huge.bin\">huge.bin</a></td><td data-label=\"Size\">100.0 MiB</td>", root);

        var link = Tags((await alice.GetAsync("/alice/site/src/main/passwd-link")).Html);
        Assert.Contains("Symbolic link to <code id=\"symlink-target\">/etc/passwd</code>", link);
        Assert.DoesNotContain("root:", link);
        using (var raw = await alice.Client.GetAsync("/alice/site/raw/main/passwd-link"))
            Assert.Equal("/etc/passwd", await raw.Content.ReadAsStringAsync());
        Assert.Contains("Submodule https://example.org/lib.git at commit <code>1234567890abcdef1234567890abcdef12345678</code>",
            Tags((await alice.GetAsync("/alice/site/src/main/lib")).Html));
        Assert.Contains("hello", (await alice.GetAsync("/alice/site/src/main/bad%EF%BF%BD%EF%BF%BD.txt")).Html);

        // 50,000 entries: the first 1,000 listed and the rest counted.
        var big = Tags((await alice.GetAsync("/alice/site/src/main/big")).Html);
        Assert.Equal(1000, System.Text.RegularExpressions.Regex.Count(big, "<tr class=\"entry entry-file\""));
        Assert.Contains("<p id=\"tree-omitted\" class=\"notice\">49,000 more not shown: this directory has more than 1,000 entries.</p>", big);

        // 100 MB: too large to show, and the raw download streams all of it.
        var huge = Tags((await alice.GetAsync("/alice/site/src/main/huge.bin")).Html);
        Assert.Contains("<p id=\"file-note\" class=\"notice\">This file is too large to show (100.0 MiB; pages show files up to 1.0 MiB). Use the download link.</p>", huge);
        using (var raw = await alice.Client.GetAsync("/alice/site/raw/main/huge.bin", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(SourceRepositories.HugeSize, raw.Content.Headers.ContentLength);
            Assert.Equal("attachment; filename=huge.bin; filename*=UTF-8''huge.bin", raw.Content.Headers.ContentDisposition?.ToString());
            await using var body = await raw.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0) total += n;
            Assert.Equal(SourceRepositories.HugeSize, total);
        }

        // 20 levels deep.
        var deepPath = string.Join('/', Enumerable.Range(1, 20).Select(i => "d" + i));
        var deep = Tags((await alice.GetAsync($"/alice/site/src/{commit}/{deepPath}")).Html);
        Assert.Contains("data-name=\"bottom.txt\"", deep);
        Assert.Contains("<span aria-current=\"page\">d20</span>", deep);
        Assert.Contains("hello", (await alice.GetAsync($"/alice/site/src/main/{deepPath}/bottom.txt")).Html);
    }
}
