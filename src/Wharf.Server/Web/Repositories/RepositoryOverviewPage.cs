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
internal static partial class RepositoryOverviewPage
{
    public const int RecentPushes = 10;

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet("/", async (string owner, string repo, HttpContext http, RepositoryHistory history, IAuditLog audit,
            RepositoryService service, WebAddress address, ILoggerFactory loggers, CancellationToken ct) =>
        {
            // A clone URL's path pasted into the address bar: the page is at the name without ".git". Answered before
            // any lookup, so it says nothing about whether the repository exists.
            if (repo.EndsWith(".git", StringComparison.OrdinalIgnoreCase) && Core.Names.IsValidUserName(owner) && Core.Names.IsValidRepositoryName(repo[..^4]))
                return Results.Redirect($"/{owner}/{repo[..^4]}");
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var log = await history.LatestAsync(view.Repository, RepositoryHistory.DefaultCount, ct);
            if (log.Failure is { } failure) LogHistoryUnreadable(loggers.CreateLogger(typeof(RepositoryOverviewPage)), view.Repository.FullName, failure);
            DefaultBranch? branch = null;
            try { branch = await service.DefaultBranchAsync(view.Repository, ct); }
            catch (InvalidOperationException e) { LogBranchUnreadable(loggers.CreateLogger(typeof(RepositoryOverviewPage)), e, view.Repository.FullName); }
            var pushes = (await audit.ListForRepositoryAsync(view.Repository.Id, RecentPushes, ct)).Where(a => a.Action == AuditActions.Push).ToList();
            var url = CloneUrls.Ssh(view.Repository, address, http.Request);
            return Page(http, view.Repository.FullName, Body(view, url, log, branch, pushes), view.User.Name, StaticScripts.Repository);
        });
    }

    /// <summary>The default branch as the facts list shows it, with a note while it does not exist yet.</summary>
    internal static string DescribeBranch(DefaultBranch branch) =>
        E(branch.Name) + (branch.Exists ? "" : branch.Branches.Count == 0
            ? " (nothing pushed yet: the first branch pushed becomes the default branch if this one is not pushed)"
            : " (no such branch: choose another in the settings)");

    private static string Body(RepositoryView view, string url, RepositoryLog log, DefaultBranch? branch, IReadOnlyList<AuditEntry> pushes)
    {
        var commits = log.Commits;
        var r = view.Repository;
        var hg = r.Scm == Scm.Hg;
        var body = new StringBuilder()
            .Append("<dl id=\"repository-facts\">")
            .Append(CultureInfo.InvariantCulture, $"<dt>Type</dt><dd id=\"repository-scm\">{r.Scm.DisplayName()}</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Visibility</dt><dd id=\"repository-visibility\">{RepositoryListPages.Visibility(r)}: ")
            .Append(r.IsPrivate ? "only the owner and the people given access can see it." : "any signed-in account can read it.").Append("</dd>")
            .Append(branch is null ? "" : $"<dt>Default branch</dt><dd id=\"default-branch\">{DescribeBranch(branch)}</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Your access</dt><dd id=\"repository-access\">{RepositoryPages.Describe(view.Level)}</dd>")
            .Append(CultureInfo.InvariantCulture, $"<dt>Last pushed</dt><dd id=\"last-pushed\">{SshKeyPages.When(r.LastPushedAt, "never")}</dd></dl>");
        if (view.Level >= AccessLevel.Admin)
            body.Append(CultureInfo.InvariantCulture, $"<p><a id=\"settings-link\" href=\"{E(view.Path + RepositoryPages.Settings + PermissionPages.Page)}\">Settings</a>: permissions, access keys, default branch, delete.</p>");

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
        if (log.Failure is not null)
            body.Append(Error("Wharf could not read this repository's history. The server log says why.", "history-error"));
        else if (commits.Count == 0)
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
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(c.Subject)}</td><td>{E(c.Author)}</td><td>{(c.When is { } when ? SshKeyPages.When(when, "") : $"<span class=\"raw-date\">{E(c.RawDate)}</span>")}</td></tr>");
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

    [LoggerMessage(EventId = 1153, Level = LogLevel.Error, Message = "Could not read the history of {Repository}: {Failure}")]
    private static partial void LogHistoryUnreadable(ILogger logger, string repository, string failure);

    [LoggerMessage(EventId = 1154, Level = LogLevel.Error, Message = "Could not read the default branch of {Repository}")]
    private static partial void LogBranchUnreadable(ILogger logger, Exception exception, string repository);
}
