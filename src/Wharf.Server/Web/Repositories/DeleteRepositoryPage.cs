using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/delete</c> (Admin level): deleting asks for the full name typed out, as GitHub does;
/// <see cref="RepositoryService.DeleteAsync"/> checks it, so a mistyped name deletes nothing.
/// </summary>
internal static class DeleteRepositoryPage
{
    public const string Page = "/delete";

    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet(Page, async (string owner, string repo, HttpContext http, CancellationToken ct) =>
            DeletePage(http, await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct), null));

        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? confirmation, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            try { await service.DeleteAsync(view.Repository, view.Level, confirmation, ct, AuditPages.ActorOf(view.User.Name, http)); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return DeletePage(http, view, e.Message, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, RepositoryPages.ListPath, $"Repository {view.Repository.FullName} deleted.");
        });
    }

    private static IResult DeletePage(HttpContext http, RepositoryView view, string? error, int status = 200) =>
        WebPage.Render<DeleteRepositoryView>(http, new { View = view, Error = error }, status);
}
