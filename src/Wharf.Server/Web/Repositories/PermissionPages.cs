using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/permissions</c> (Admin level): who besides the owner may read, write or administer
/// the repository. Granting, changing and removing go through <see cref="RepositoryService"/>, so the page shows
/// the messages the API gives.
/// </summary>
internal static class PermissionPages
{
    public const string Page = "/permissions";

    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet(Page, async (string owner, string repo, HttpContext http, RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            return await PermissionsPageAsync(http, view, service, null, null, "", ct);
        });

        // Grants a new user or changes an existing grant: both are "this user now has this level".
        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? user, [FromForm] string? permission, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            user = user?.Trim() ?? "";
            GrantInfo grant;
            try { (grant, _) = await service.SetGrantAsync(view.Repository, view.Level, user, permission, ct, AuditPages.ActorOf(view.User.Name, http)); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.NotFound)
            {
                return await PermissionsPageAsync(http, view, service, null, e.Message, user, ct, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, view.Path + RepositoryPages.Settings + Page,
                $"{grant.UserName} now has {RepositoryPages.Describe(grant.Level)} access.");
        });

        settings.MapPost(Page + "/remove", async (string owner, string repo, [FromForm] string? user, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            user = user?.Trim() ?? "";
            try { await service.RemoveGrantAsync(view.Repository, view.Level, user, ct, AuditPages.ActorOf(view.User.Name, http)); }
            catch (WharfException e) when (e.Category is ErrorCategory.NotFound)
            {
                return await PermissionsPageAsync(http, view, service, e.Message, null, "", ct, StatusCodes.Status404NotFound);
            }
            return WebPage.RedirectWithFlash(http, view.Path + RepositoryPages.Settings + Page, $"{user} no longer has access.");
        });
    }

    private static async Task<IResult> PermissionsPageAsync(HttpContext http, RepositoryView view, RepositoryService service, string? error,
        string? userError, string user, CancellationToken ct, int status = 200) =>
        WebPage.Render<PermissionsView>(http, new
        {
            View = view, Grants = await service.ListGrantsAsync(view.Repository, view.Level, ct), Error = error, UserError = userError, User = user,
        }, status);
}
