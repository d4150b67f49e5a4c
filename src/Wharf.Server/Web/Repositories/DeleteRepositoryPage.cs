using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using static Wharf.Server.Web.Html;

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
            try { await service.DeleteAsync(view.Repository, view.Level, confirmation, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return DeletePage(http, view, e.Message, StatusCodes.Status400BadRequest);
            }
            return Results.Redirect(RepositoryPages.ListPath);
        });
    }

    private static IResult DeletePage(HttpContext http, RepositoryView view, string? error, int status = 200)
    {
        var name = E(view.Repository.FullName);
        return Html.Page(http, $"Delete {view.Repository.FullName}",
            RepositoryPages.SettingsNav(view, Page) +
            $"<p>Deleting <strong>{name}</strong> removes its history, its permissions and its access keys for good. " +
            "Nobody can clone or push it any more. This cannot be undone.</p>" +
            Error(error, "delete-error") +
            $"<form id=\"delete-repository\" method=\"post\" action=\"{E(view.Path + RepositoryPages.Settings + Page)}\">{Antiforgery(http)}" +
            $"<label for=\"confirmation\">Type {name} to confirm</label>" +
            "<input id=\"confirmation\" name=\"confirmation\" required autocomplete=\"off\" spellcheck=\"false\">" +
            "<button type=\"submit\">Delete repository</button></form>", view.User.Name, status: status);
    }
}
