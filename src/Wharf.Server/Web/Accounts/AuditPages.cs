using System.Globalization;
using System.Security.Claims;
using System.Text;
using Wharf.Core.Audit;
using Wharf.Core.Users;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Accounts;

/// <summary><c>/account/audit</c>: what happened to the signed-in person's keys and what they pushed, by whom and from where.</summary>
public static class AuditPages
{
    public const string Path = "/account/audit";
    public const int AuditPageSize = 200;

    public static IEndpointRouteBuilder MapAuditPages(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (HttpContext http, ClaimsPrincipal me, IUserStore users, IAuditLog audit, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            return AuditPage(http, user, await audit.ListAsync(user.Id, AuditPageSize, ct));
        }).RequireAuthorization(AccountEndpoints.Policy);
        return app;
    }

    /// <summary>What each audit action reads as on the page.</summary>
    public static string Describe(string action) => action switch
    {
        AuditActions.KeyAdded => "Key added",
        AuditActions.LabelChanged => "Label changed",
        AuditActions.KeyDeleted => "Key deleted",
        AuditActions.KeyExpired => "Key expired (login refused)",
        AuditActions.KeyRefused => "Key no longer allowed by the key policy (login refused)",
        AuditActions.Push => "Push",
        _ => action,
    };

    private static IResult AuditPage(HttpContext http, User user, IReadOnlyList<AuditEntry> entries)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{SshKeyPages.Path}\">Back to SSH keys</a></p>");
        if (entries.Count == 0) body.Append("<p id=\"no-audit\">Nothing has happened to your keys yet.</p>");
        else
        {
            body.Append("<table id=\"audit\"><thead><tr><th>Time</th><th>Event</th><th>Key</th><th>Fingerprint</th>" +
                "<th>By</th><th>From</th></tr></thead><tbody>");
            foreach (var a in entries)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"audit-entry\" data-action=\"{E(a.Action)}\"><td>{SshKeyPages.When(a.At, "")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(Describe(a.Action))}</td><td>{E(a.KeyLabel)}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><code>{E(a.KeyFingerprint)}</code></td><td>{E(a.Actor)}</td><td>{E(a.SourceAddress ?? "")}</td></tr>");
            body.Append("</tbody></table>");
            if (entries.Count == AuditPageSize)
                body.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The {AuditPageSize} most recent events are shown.</p>");
        }
        return Page(http, "Audit log", body.ToString(), user.Name);
    }
}
