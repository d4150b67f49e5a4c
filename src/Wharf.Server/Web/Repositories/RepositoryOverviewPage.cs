using System.Globalization;
using System.Text;
using Wharf.Core.Access;
using Wharf.Core.Audit;
using Wharf.Core.Repositories;
using Wharf.Server.Hosting;
using Wharf.Server.Web.Accounts;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME</c> (Read level): what the repository is, its SSH clone URL with a Copy button
/// (<c>/static/repository.js</c>) and the commands that use it, the latest commits or changesets read from
/// the repository itself (or how to push the first ones), and the recent pushes from the audit log.
/// </summary>
internal static class RepositoryOverviewPage
{
    public const int RecentPushes = 10;

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet("/", async (string owner, string repo, HttpContext http, RepositoryHistory history, IAuditLog audit,
            WebAddress address, CancellationToken ct) =>
        {
            // A clone URL's path pasted into the address bar: the page is at the name without ".git". Answered before
            // any lookup, so it says nothing about whether the repository exists.
            if (repo.EndsWith(".git", StringComparison.OrdinalIgnoreCase) && Core.Names.IsValidUserName(owner) && Core.Names.IsValidRepositoryName(repo[..^4]))
                return Results.Redirect($"/{owner}/{repo[..^4]}");
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var commits = await history.LatestAsync(view.Repository, RepositoryHistory.DefaultCount, ct);
            var pushes = (await audit.ListForRepositoryAsync(view.Repository.Id, RecentPushes, ct)).Where(a => a.Action == AuditActions.Push).ToList();
            var url = CloneUrls.Ssh(view.Repository, address, http.Request);
            return Page(http, view.Repository.FullName, Body(view, url, commits, pushes), view.User.Name, StaticAssets.Repository);
        });
    }

    private static string Body(RepositoryView view, string url, IReadOnlyList<CommitSummary> commits, IReadOnlyList<AuditEntry> pushes)
    {
        var r = view.Repository;
        var hg = r.Scm == Scm.Hg;
        var body = new StringBuilder()
            .Append("<dl id=\"repository-facts\">")
            .Append(CultureInfo.InvariantCulture, $"<dt>Type</dt><dd id=\"repository-scm\">{r.Scm.DisplayName()}</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Visibility</dt><dd id=\"repository-visibility\">{RepositoryListPages.Visibility(r)}: ")
            .Append(r.IsPrivate ? "only the owner and the people given access can see it." : "any signed-in account can read it.").Append("</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Your access</dt><dd id=\"repository-access\">{RepositoryPages.Describe(view.Level)}</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Last pushed</dt><dd id=\"last-pushed\">{SshKeyPages.When(r.LastPushedAt, "never")}</dd></dl>");
        if (view.Level >= AccessLevel.Admin)
            body.Append(CultureInfo.InvariantCulture, $"<p><a id=\"settings-link\" href=\"{E(view.Path + RepositoryPages.Settings + PermissionPages.Page)}\">Settings</a>: permissions, access keys, delete.</p>");

        body.Append("<h2>Clone over SSH</h2>")
            .Append("<div class=\"copy\"><label for=\"clone-url\">SSH clone URL</label>")
            .Append(CultureInfo.InvariantCulture, $"<input id=\"clone-url\" value=\"{E(url)}\" readonly spellcheck=\"false\">")
            .Append("<button type=\"button\" id=\"copy-clone-url\" data-copy=\"clone-url\" data-status=\"copy-status\" hidden>Copy</button>")
            .Append("<span id=\"copy-status\" class=\"note\" aria-live=\"polite\"></span></div>")
            .Append(CultureInfo.InvariantCulture, $"<p>Clone it:</p><pre id=\"clone-command\">{E(CloneUrls.CloneCommand(r, url))}</pre>");
        if (!hg)
            body.Append("<p>Already cloned it over HTTPS? Switch that clone to SSH:</p>")
                .Append(CultureInfo.InvariantCulture, $"<pre id=\"set-url-command\">git remote set-url origin {E(url)}</pre>");
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">SSH uses the keys on your <a href=\"{SshKeyPages.Path}\">SSH keys</a> page.</p>");

        body.Append(hg ? "<h2>Latest changesets</h2>" : "<h2>Latest commits</h2>");
        if (commits.Count == 0)
        {
            body.Append("<div id=\"empty-repository\"><p>This repository is empty. Push to it from an existing repository:</p>");
            body.Append(hg
                ? $"<pre>hg push {E(url)}</pre>"
                : $"<pre>git remote add origin {E(url)}\ngit push -u origin HEAD</pre>");
            body.Append("</div>");
        }
        else
        {
            body.Append("<table id=\"commits\"><thead><tr><th>Id</th><th>Message</th><th>Author</th><th>Date</th></tr></thead><tbody>");
            foreach (var c in commits)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"commit\"><td><code title=\"{E(c.Id)}\">{E(c.ShortId)}</code></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(c.Subject)}</td><td>{E(c.Author)}</td><td>{SshKeyPages.When(c.When, "")}</td></tr>");
            body.Append("</tbody></table>");
        }

        body.Append("<h2>Recent pushes</h2>");
        if (pushes.Count == 0) body.Append("<p id=\"no-pushes\">No pushes yet.</p>");
        else
        {
            body.Append("<table id=\"pushes\"><thead><tr><th>When</th><th>Who</th><th>Key</th></tr></thead><tbody>");
            foreach (var p in pushes)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"push\"><td>{SshKeyPages.When(p.At, "")}</td><td>{E(p.Actor)}</td><td>{E(p.KeyLabel)}</td></tr>");
            body.Append("</tbody></table>");
        }
        return body.ToString();
    }
}
