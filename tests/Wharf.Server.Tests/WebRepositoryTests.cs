using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Repositories;
using Wharf.Server.Web.Repositories;
using Wharf.Server.Web;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// The repository pages through the real host: create, list, the repository page, reserved names. Every
/// refusal is checked for its exact message and for nothing stored; a repository one may not read must
/// answer exactly as one that does not exist. The settings pages: <see cref="WebRepositorySettingsTests"/>.
/// </summary>
public sealed class WebRepositoryTests : WebPageTestBase
{
    private int SshPort => Host.SshEndPoint.Port;

    [Fact]
    public async Task A_new_repository_is_private_git_by_default_and_listed_with_its_type_visibility_and_last_push()
    {
        using var alice = await SignUpAsync("alice");
        var (status, empty) = await alice.GetAsync(RepositoryPages.ListPath);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("id=\"no-repositories\"", empty);
        Assert.Contains("<a id=\"new-repository\" class=\"button\" href=\"/repositories/new\">New repository</a>", empty);
        Assert.Contains("<a href=\"/repositories\" aria-current=\"page\">Repositories</a>", empty);
        Assert.Contains("<div class=\"empty-state\" id=\"no-repositories\"><p class=\"empty-title\">No repositories yet.</p>", Tags(empty));

        var form = (await alice.GetAsync(RepositoryPages.NewPath)).Html;
        Assert.Contains("<input type=\"radio\" name=\"scm\" value=\"git\" checked /> Git", form);
        Assert.Contains("<input type=\"radio\" name=\"scm\" value=\"hg\" /> Mercurial", form);
        Assert.Contains("<input type=\"checkbox\" id=\"repository-private\" name=\"private\" value=\"on\" checked aria-describedby=\"repository-private-hint\" /> Private", form);

        var created = await CreateAsync(alice, "site");
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal("/alice/site", created.Headers.Location?.OriginalString);
        Assert.Equal("Repository alice/site created.", FlashOf((await alice.GetAsync("/alice/site")).Html));
        var stored = await StoredAsync("site");
        Assert.NotNull(stored);
        Assert.True(stored.IsPrivate);
        Assert.Equal(Scm.Git, stored.Scm);
        Assert.True(File.Exists(Path.Combine(Host.Data.Paths.Repository("alice", "site"), "HEAD")));

        var list = (await alice.GetAsync(RepositoryPages.ListPath)).Html;
        Assert.Contains("<tr class=\"repository\" data-name=\"alice/site\"><td data-label=\"Repository\"><a href=\"/alice/site\">alice/site</a></td>" +
            "<td data-label=\"Type\">Git</td><td data-label=\"Visibility\"><span class=\"badge badge-warning\">Private</span></td>" +
            "<td data-label=\"Last pushed\"><span class=\"muted\">never</span></td></tr>", Tags(list));
    }

    [Fact]
    public async Task An_unticked_Private_box_makes_a_public_Mercurial_repository_that_other_accounts_list_and_read()
    {
        using var alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(alice, "notes", scm: "hg", isPrivate: false)).StatusCode);
        var stored = await StoredAsync("notes");
        Assert.NotNull(stored);
        Assert.False(stored.IsPrivate);
        Assert.Equal(Scm.Hg, stored.Scm);

        var page = (await alice.GetAsync("/alice/notes")).Html;
        var url = $"ssh://hg@127.0.0.1:{SshPort}/alice/notes";
        Assert.Contains($"<input id=\"clone-url\" class=\"copy-source mono\" value=\"{url}\" readonly", page);
        Assert.Contains($"<pre id=\"clone-command\" class=\"copy-source\" tabindex=\"0\">hg clone {url}</pre>", page);
        Assert.DoesNotContain("git remote set-url", page);
        Assert.Contains($"<pre id=\"push-existing\" class=\"copy-source\" tabindex=\"0\">hg push {url}</pre>", page);
        Assert.Contains("<dd id=\"repository-scm\">Mercurial</dd>", page);

        using var bob = await SignUpAsync("bob");
        Assert.Contains("data-name=\"alice/notes\"", (await bob.GetAsync(RepositoryPages.ListPath)).Html);
        var (status, theirs) = await bob.GetAsync("/alice/notes");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<dd id=\"repository-access\">Read</dd>", theirs);
        Assert.DoesNotContain("id=\"settings-link\"", theirs);
        // Readable, so not hidden: but the settings say plainly that they need more.
        var (settingsStatus, settings) = await bob.GetAsync("/alice/notes/settings/permissions");
        Assert.Equal(HttpStatusCode.Forbidden, settingsStatus);
        Assert.Equal(E("You need admin access to alice/notes to do this."), PageErrorOf(settings));
    }

    [Theory]
    [InlineData("../etc", "Invalid repository name '../etc': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.")]
    [InlineData("-x", "Invalid repository name '-x': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.")]
    [InlineData("a..b", "Invalid repository name 'a..b': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.")]
    [InlineData("site.git", "Invalid repository name 'site.git': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.")]
    [InlineData("SITE", "Repository 'alice/SITE' already exists.")]
    public async Task Invalid_and_taken_names_are_refused_with_the_services_message_and_nothing_is_created(string name, string message)
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var refused = await CreateAsync(alice, name, scm: "hg", isPrivate: false);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync();
        // Beside the Name field, tied to it.
        Assert.Contains($"<p class=\"field-error\" id=\"repository-name-error\">{E(message)}</p>", html);
        Assert.Contains("aria-describedby=\"repository-name-hint repository-name-error\" aria-invalid=\"true\"", html);
        // The form keeps what was typed and chosen.
        Assert.Contains($"name=\"name\" type=\"text\" value=\"{E(name)}\"", html);
        Assert.Contains("value=\"hg\" checked", html);
        Assert.DoesNotContain("name=\"private\" value=\"on\" checked", html);

        Assert.Equal(1, await Host.Data.CountAsync(db => db.Repositories));
        Assert.Equal(["site.git"], Directory.GetDirectories(Path.Combine(Host.Data.Paths.Repositories, "alice")).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Host.Data.Paths.RepositoriesStaging));
    }

    [Fact]
    public async Task An_unknown_scm_is_refused_and_nothing_is_created()
    {
        using var alice = await SignUpAsync("alice");
        var refused = await CreateAsync(alice, "site", scm: "svn");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(E("Unknown scm 'svn': use \"git\" or \"hg\"."), await refused.Content.ReadAsStringAsync());
        Assert.Null(await StoredAsync("site"));
    }

    [Fact]
    public async Task Creating_without_the_antiforgery_token_is_refused_and_creates_nothing()
    {
        using var alice = await SignUpAsync("alice");
        var response = await alice.Client.PostAsync(RepositoryPages.NewPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "site", ["scm"] = "git", ["private"] = "on",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await StoredAsync("site"));
    }

    [Fact]
    public async Task The_repository_page_shows_the_https_clone_url_and_both_remote_switches_after_the_ssh_ones()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var ssh = $"ssh://git@127.0.0.1:{SshPort}/alice/site.git";
        var page = (await alice.GetAsync("/alice/site")).Html;
        // The request's own scheme and host: the test client's http://127.0.0.1:PORT.
        var https = Regex.Match(page, "<input id=\"https-clone-url\" class=\"copy-source mono\" value=\"(http://127\\.0\\.0\\.1:\\d+/alice/site\\.git)\" readonly").Groups[1].Value;
        Assert.NotEmpty(https);
        Assert.Contains("<h2 id=\"clone-title\">Clone</h2>", page);
        Assert.Contains($"<pre id=\"https-clone-command\" class=\"copy-source\" tabindex=\"0\">git clone {https}</pre>", page);
        Assert.Contains($"<pre id=\"set-url-command\" class=\"copy-source\" tabindex=\"0\">git remote set-url origin {ssh}</pre>", page);
        Assert.Contains($"<pre id=\"set-https-url-command\" class=\"copy-source\" tabindex=\"0\">git remote set-url origin {https}</pre>", page);
        // SSH first.
        Assert.True(page.IndexOf("id=\"clone-url\"", StringComparison.Ordinal) < page.IndexOf("id=\"https-clone-url\"", StringComparison.Ordinal));
        Assert.True(page.IndexOf("id=\"set-url-command\"", StringComparison.Ordinal) < page.IndexOf("id=\"set-https-url-command\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_repository_page_shows_the_clone_url_commands_and_the_empty_hint_then_commits_and_pushes_encoded()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var url = $"ssh://git@127.0.0.1:{SshPort}/alice/site.git";
        var page = (await alice.GetAsync("/alice/site")).Html;
        // SSH first: the clone URL and each command with a Copy button whose accessible name says what it copies.
        Assert.Contains($"<input id=\"clone-url\" class=\"copy-source mono\" value=\"{url}\" readonly", page);
        Assert.True(page.IndexOf("id=\"clone-url\"", StringComparison.Ordinal) < page.IndexOf("id=\"history\"", StringComparison.Ordinal));
        Assert.Contains("data-copy=\"clone-url\" aria-label=\"Copy SSH clone URL\">Copy</button>", page);
        Assert.Contains($"<pre id=\"clone-command\" class=\"copy-source\" tabindex=\"0\">git clone {url}</pre>", page);
        Assert.Contains($"<pre id=\"set-url-command\" class=\"copy-source\" tabindex=\"0\">git remote set-url origin {url}</pre>", page);
        Assert.Contains("data-copy=\"set-url-command\" aria-label=\"Copy remote switch command\">Copy</button>", page);
        // An existing project's push, to the repository's own default branch.
        Assert.Contains($"<pre id=\"push-existing\" class=\"copy-source\" tabindex=\"0\">git remote add origin {url}&#xA;git push -u origin main</pre>", page);
        Assert.Contains("<dd id=\"default-branch\">main (nothing pushed yet", page);
        Assert.Contains("<dd id=\"last-pushed\"><span class=\"muted\">never</span></dd>", Tags(page));
        Assert.Contains("<dd id=\"repository-visibility\">Private: ", page);
        Assert.Contains("<p id=\"no-pushes\" class=\"muted\">No pushes yet.</p>", page);
        Assert.Contains("<a id=\"settings-link\" class=\"button button-secondary\" href=\"/alice/site/settings\">Settings</a>", page);
        Assert.Contains($"<script src=\"{StaticAssets.SiteScript}\" defer></script>", page);

        // A push, as the SSH front door records it: the commits land on disk, the time and the audit entry in the database.
        var work = Path.Combine(Host.Data.Root, "work");
        Directory.CreateDirectory(work);
        Git.Run(work, "init", "-q", "-b", "main");
        Git.Run(work, "-c", "user.name=Alice <Liddell>", "-c", "user.email=alice@example.org", "commit", "-q", "--allow-empty", "-m", "<b>first</b> & more");
        Git.Run(work, "push", "-q", Host.Data.Paths.Repository("alice", "site"), "main:main");
        var pushedAt = new DateTimeOffset(2026, 11, 24, 8, 30, 0, TimeSpan.Zero);
        await using (var db = Host.Data.OpenDatabase())
        {
            var repository = await db.Repositories.SingleAsync(r => r.LowerName == "site");
            repository.LastPushedAt = pushedAt;
            var user = await db.Users.SingleAsync(u => u.LowerName == "alice");
            db.AuditLog.Add(new AuditEntry
            {
                UserId = user.Id, Action = AuditActions.Push, KeyFingerprint = "SHA256:x", KeyLabel = "<laptop>", Actor = "alice",
                At = pushedAt, RepositoryId = repository.Id, Repository = "alice/site", Detail = "main new 1a2b3c4, <b>x</b> new 9abcdef",
            });
            await db.SaveChangesAsync();
        }
        page = (await alice.GetAsync("/alice/site")).Html;
        Assert.DoesNotContain("id=\"empty-repository\"", page);
        page = Tags(page);
        Assert.Contains("<td data-label=\"Message\">&lt;b&gt;first&lt;/b&gt; &amp; more</td>", page);
        Assert.DoesNotContain("<b>first</b>", page);
        const string Pushed = "<time datetime=\"2026-11-24T08:30:00Z\" title=\"2026-11-24 08:30 UTC\">";
        Assert.Contains("<dd id=\"last-pushed\">" + Pushed, page);
        Assert.Contains("<tr class=\"push\"><td data-label=\"When\">" + Pushed, page);
        // The changed refs (git allows '<' in a branch name) are text, not markup.
        Assert.Contains("</time></td><td data-label=\"Who\">alice</td><td data-label=\"Key\">&lt;laptop&gt;</td>" +
            "<td data-label=\"Changes\" class=\"push-detail\">main new 1a2b3c4, &lt;b&gt;x&lt;/b&gt; new 9abcdef</td></tr>", page);
        Assert.Contains("<td data-label=\"Last pushed\">" + Pushed, Tags((await alice.GetAsync(RepositoryPages.ListPath)).Html));
    }

    [Fact]
    public async Task A_Mercurial_repository_lists_its_changesets()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "notes", scm: "hg");
        var work = Path.Combine(Host.Data.Root, "work");
        var repository = Host.Data.Paths.Repository("alice", "notes", Scm.Hg);
        Hg(Host.Data.Root, "clone", "-q", repository, work);
        File.WriteAllText(Path.Combine(work, "README"), "notes\n");
        Hg(work, "add", "-q", "README");
        Hg(work, "--config", "ui.username=Alice <alice@example.org>", "commit", "-q", "-m", "First notes\n\nWith a body.");
        Hg(work, "push", "-q", repository);

        var page = (await alice.GetAsync("/alice/notes")).Html;
        Assert.Contains("<h2 id=\"history-title\">Latest changesets</h2>", page);
        Assert.DoesNotContain("id=\"empty-repository\"", page);
        Assert.Matches("<tr class=\"commit\"><td data-label=\"Id\"><a class=\"commit-id mono\" href=\"/alice/notes/commits/([0-9a-f]{40})\" title=\"\\1\">[0-9a-f]{12}</a></td>" +
            "<td data-label=\"Message\">First notes</td><td data-label=\"Author\">Alice</td>", Tags(page));
    }

    private static void Hg(string workingDirectory, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("hg") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        psi.Environment["HGPLAIN"] = "1";
        psi.Environment["HGRCPATH"] = "";
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"hg {string.Join(' ', args)} failed: {error.Result}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/settings")]
    [InlineData("/settings/permissions")]
    [InlineData("/settings/access-keys")]
    [InlineData("/settings/delete")]
    public async Task A_private_repository_of_someone_else_answers_exactly_like_a_missing_one(string page)
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "secret");
        using var mallory = await SignUpAsync("mallory");

        var (hiddenStatus, hidden) = await mallory.GetAsync("/alice/secret" + page);
        var (missingStatus, missing) = await mallory.GetAsync("/alice/nothing" + page);
        Assert.Equal(HttpStatusCode.NotFound, hiddenStatus);
        Assert.Equal(HttpStatusCode.NotFound, missingStatus);
        Assert.Equal(E("Repository 'alice/secret' does not exist, or you do not have access to it."), PageErrorOf(hidden));
        // Apart from the name asked for, the two answers are the same page, byte for byte (the antiforgery token aside).
        static string Normalise(string html, string name) =>
            Regex.Replace(html.Replace(name, "NAME", StringComparison.Ordinal), "value=\"[^\"]+\"", "value=\"\"");
        Assert.Equal(Normalise(missing, "nothing"), Normalise(hidden, "secret"));
        if (page == "")
        {
            // The clone URL's path redirects to the page whether or not the repository exists.
            var hiddenGit = await mallory.Client.GetAsync("/alice/secret.git");
            var missingGit = await mallory.Client.GetAsync("/alice/nothing.git");
            Assert.Equal(HttpStatusCode.Redirect, hiddenGit.StatusCode);
            Assert.Equal("/alice/secret", hiddenGit.Headers.Location?.OriginalString);
            Assert.Equal(HttpStatusCode.Redirect, missingGit.StatusCode);
            Assert.Equal("/alice/nothing", missingGit.Headers.Location?.OriginalString);
        }
        Assert.DoesNotContain("secret", (await mallory.GetAsync(RepositoryPages.ListPath)).Html);

        // A post to the settings gets the same answer and changes nothing.
        var post = await mallory.PostFormAsync(RepositoryPages.ListPath, "/alice/secret/settings/delete", ("confirmation", "alice/secret"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.NotNull(await StoredAsync("secret"));

        // Without signing in, both ask for the sign-in, alike.
        using var anonymous = new WebSession(Host.BaseAddress);
        var a = await anonymous.Client.GetAsync("/alice/secret" + page);
        var b = await anonymous.Client.GetAsync("/alice/nothing" + page);
        Assert.Equal(HttpStatusCode.Redirect, a.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, b.StatusCode);
        Assert.StartsWith("/signin", a.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task Fixed_routes_win_over_repository_pages_and_reserved_user_names_are_refused()
    {
        using var alice = await SignUpAsync("alice");
        Assert.Contains("<h1>SSH keys</h1>", (await alice.GetAsync("/account/ssh-keys")).Html);
        Assert.Contains("<h1>New repository</h1>", (await alice.GetAsync(RepositoryPages.NewPath)).Html);
        Assert.Equal(HttpStatusCode.OK, (await alice.Client.GetAsync(StaticAssets.SshKeys)).StatusCode);
        // Paths under reserved first segments that have no page are plain 404s, never repository pages (nor a
        // sign-in redirect for an API client).
        using var anonymous = new WebSession(Host.BaseAddress);
        foreach (var path in new[] { "/2.0/nothing", "/account/nothing", "/static/nothing.js" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Client.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await alice.Client.GetAsync(path)).StatusCode);
        }

        using var web = new WebSession(Host.BaseAddress);
        var refused = await web.PostFormAsync("/signup", "/signup", ("username", "Account"), ("email", "a@example.org"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(E("The user name 'Account' is reserved: it is part of Wharf's own web addresses. Choose another name."),
            await refused.Content.ReadAsStringAsync());
        var cli = await Host.Data.RunAsync("admin", "user", "create", "repositories", "--email", "r@example.org");
        Assert.Equal(2, cli.ExitCode);
        Assert.Equal("wharf: The user name 'repositories' is reserved: it is part of Wharf's own web addresses. Choose another name.\n", cli.Error);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.Users.Where(u => u.LowerName == "account" || u.LowerName == "repositories")));
    }
}
