using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/branch</c> (Admin level): the default branch, which clones check out, chosen among the
/// branches the repository has. <see cref="RepositoryService.SetDefaultBranchAsync"/> checks the choice, so a branch
/// that does not exist changes nothing.
/// </summary>
internal static class DefaultBranchPage
{
    public const string Page = "/branch";

    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet(Page, async (string owner, string repo, HttpContext http, RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            return BranchPage(http, view, await service.DefaultBranchAsync(view.Repository, ct), null);
        });

        // The form value is bound, so the antiforgery token is checked before the handler runs.
        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? branch, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            try { await service.SetDefaultBranchAsync(view.Repository, view.Level, branch, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return BranchPage(http, view, await service.DefaultBranchAsync(view.Repository, ct), e.Message, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, view.Path + RepositoryPages.Settings + Page, $"Default branch changed to '{branch}'.");
        });
    }

    private static IResult BranchPage(HttpContext http, RepositoryView view, DefaultBranch? branch, string? error, int status = 200) =>
        WebPage.Render<DefaultBranchView>(http, new { View = view, Branch = branch, Error = error }, status);
}
