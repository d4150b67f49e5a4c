using System.Text;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using static Wharf.Server.Web.Html;

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
            return Results.Redirect(view.Path + RepositoryPages.Settings + Page);
        });
    }

    private static IResult BranchPage(HttpContext http, RepositoryView view, DefaultBranch? branch, string? error, int status = 200)
    {
        var body = new StringBuilder(RepositoryPages.SettingsNav(view, Page)).Append(Error(error, "branch-error"));
        if (branch is null)
            body.Append("<p id=\"default-branch\">Mercurial repositories have no default branch setting: hg checks out the branch named <code>default</code>.</p>");
        else
        {
            body.Append("<p>Clones check out the default branch, and it is what the repository page lists.</p>")
                .Append($"<p>Default branch: <strong id=\"default-branch\">{RepositoryOverviewPage.DescribeBranch(branch)}</strong></p>");
            if (branch.Branches.Count == 0)
                body.Append("<p id=\"no-branches\">This repository has no branches yet: push one first.</p>");
            else
            {
                body.Append($"<form id=\"default-branch-form\" method=\"post\" action=\"{E(view.Path + RepositoryPages.Settings + Page)}\">{Antiforgery(http)}")
                    .Append("<label for=\"branch\">Branch</label><select id=\"branch\" name=\"branch\">");
                foreach (var name in branch.Branches)
                    body.Append($"<option value=\"{E(name)}\"{(name == branch.Name ? " selected" : "")}>{E(name)}</option>");
                body.Append("</select><button type=\"submit\">Change default branch</button></form>");
            }
        }
        return Html.Page(http, $"Default branch of {view.Repository.FullName}", body.ToString(), view.User.Name, status: status);
    }
}
