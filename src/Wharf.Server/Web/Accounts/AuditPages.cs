using System.Security.Claims;
using Wharf.Core.Audit;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/account/audit</c>: the signed-in person's log, newest first, a page at a time ("Older" and "Newer" follow entry
/// ids, so new entries never shift a page): their keys, their pushes (with the repository), their API tokens, and the
/// events of the repositories they own (creation, deletion, permissions, access keys), by whom and from where.
/// </summary>
public static class AuditPages
{
    public const string Path = "/account/audit";
    public const int AuditPageSize = 50;

    public static IEndpointRouteBuilder MapAuditPages(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (long? before, long? after, HttpContext http, ClaimsPrincipal me, IUserStore users, IAuditLog audit, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            // One more than a page tells whether there is anything beyond it.
            var entries = await audit.PageAsync(user.Id, before, after, AuditPageSize + 1, ct);
            var more = entries.Count > AuditPageSize;
            var page = (after is null ? entries.Take(AuditPageSize) : entries.Skip(more ? 1 : 0)).ToList();
            // Going back (after=) there is always an older page; going forward (before=) there is always a newer one.
            var older = page.Count > 0 && (after is not null || more) ? page[^1].Id : (long?)null;
            var newer = page.Count > 0 && (before is not null || (after is not null && more)) ? page[0].Id : (long?)null;
            return WebPage.Render<AuditLogView>(http, new { UserName = user.Name, Entries = page, OlderThan = older, NewerThan = newer });
        }).RequireAuthorization(AccountEndpoints.Policy);
        return app;
    }

    /// <summary>Who is acting in a web request and from which address, as the audit log records it.</summary>
    public static Actor ActorOf(string userName, HttpContext http) =>
        new(userName, AccountEndpoints.ClientAddress(http));

    /// <summary>What each audit action reads as on the page.</summary>
    public static string Describe(string action) => action switch
    {
        AuditActions.KeyAdded => "Key added",
        AuditActions.LabelChanged => "Label changed",
        AuditActions.KeyDeleted => "Key deleted",
        AuditActions.KeyExpired => "Key expired (login refused)",
        AuditActions.KeyRefused => "Key no longer allowed by the key policy (login refused)",
        AuditActions.CertificateRefused => "Certificate refused (login refused)",
        AuditActions.Push => "Push",
        AuditActions.LfsUpload => "LFS object uploaded",
        AuditActions.LfsLock => "LFS file locked",
        AuditActions.LfsUnlock => "LFS file unlocked",
        AuditActions.TokenCreated => "API token created",
        AuditActions.TokenDeleted => "API token deleted",
        AuditActions.GrantGiven => "Access given",
        AuditActions.GrantChanged => "Access changed",
        AuditActions.GrantRemoved => "Access removed",
        AuditActions.RepositoryCreated => "Repository created",
        AuditActions.RepositoryDeleted => "Repository deleted",
        AuditActions.AccessKeyAdded => "Access key added",
        AuditActions.AccessKeyRemoved => "Access key removed",
        AuditActions.KeyLoginRefused => "Key may not log in (login refused)",
        AuditActions.UsageChanged => "Key usage changed",
        AuditActions.KeyCompromised => "Key reported compromised",
        AuditActions.KeyTakenOver => "Key taken over by an account that proved possession",
        AuditActions.SignedCommitsChanged => "Require signed commits changed",
        _ => action,
    };

    /// <summary>Whether the entry's label column names a key (the account's or an access key), or another thing.</summary>
    public static bool IsKeyEvent(string action) => action is AuditActions.KeyAdded or AuditActions.LabelChanged or AuditActions.KeyDeleted
        or AuditActions.KeyExpired or AuditActions.KeyRefused or AuditActions.CertificateRefused or AuditActions.Push
        or AuditActions.LfsUpload or AuditActions.LfsLock or AuditActions.LfsUnlock or AuditActions.AccessKeyAdded or AuditActions.AccessKeyRemoved
        or AuditActions.KeyLoginRefused or AuditActions.UsageChanged or AuditActions.KeyCompromised or AuditActions.KeyTakenOver;
}
