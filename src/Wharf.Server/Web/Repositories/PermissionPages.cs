using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Server.Web.Accounts;
using static Wharf.Server.Web.Html;

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
            return await PermissionsPageAsync(http, view, service, null, "", ct);
        });

        // Grants a new user or changes an existing grant: both are "this user now has this level".
        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? user, [FromForm] string? permission, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            user = user?.Trim() ?? "";
            try { await service.SetGrantAsync(view.Repository, view.Level, user, permission, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.NotFound)
            {
                return await PermissionsPageAsync(http, view, service, e.Message, user, ct, StatusCodes.Status400BadRequest);
            }
            return Results.Redirect(view.Path + RepositoryPages.Settings + Page);
        });

        settings.MapPost(Page + "/remove", async (string owner, string repo, [FromForm] string? user, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            try { await service.RemoveGrantAsync(view.Repository, view.Level, user?.Trim() ?? "", ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.NotFound)
            {
                return await PermissionsPageAsync(http, view, service, e.Message, "", ct, StatusCodes.Status404NotFound);
            }
            return Results.Redirect(view.Path + RepositoryPages.Settings + Page);
        });
    }

    private static string LevelSelect(string id, AccessLevel selected)
    {
        var select = new StringBuilder($"<select id=\"{E(id)}\" name=\"permission\">");
        foreach (var level in new[] { AccessLevel.Read, AccessLevel.Write, AccessLevel.Admin })
            select.Append(CultureInfo.InvariantCulture, $"<option value=\"{level.ToApi()}\"{(level == selected ? " selected" : "")}>{RepositoryPages.Describe(level)}</option>");
        return select.Append("</select>").ToString();
    }

    private static async Task<IResult> PermissionsPageAsync(HttpContext http, RepositoryView view, RepositoryService service, string? error,
        string user, CancellationToken ct, int status = 200)
    {
        var grants = await service.ListGrantsAsync(view.Repository, view.Level, ct);
        var action = E(view.Path + RepositoryPages.Settings + Page);
        var body = new StringBuilder(RepositoryPages.SettingsNav(view, Page))
            .Append("<p class=\"note\">Read: clone and pull. Write: also push. Admin: also manage permissions, access keys and deletion. ")
            .Append(CultureInfo.InvariantCulture, $"The owner, <strong>{E(view.Repository.OwnerName)}</strong>, can do everything.</p>")
            .Append(Error(error, "permission-error"));
        if (grants.Count == 0) body.Append("<p id=\"no-grants\">Nobody else has access yet.</p>");
        else
        {
            body.Append("<table id=\"grants\"><thead><tr><th>User</th><th>Permission</th><th>Since</th><th></th></tr></thead><tbody>");
            foreach (var g in grants)
            {
                var id = "permission-" + g.UserUuid.ToString("N");
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"grant\" data-user=\"{E(g.UserName)}\" data-permission=\"{g.Level.ToApi()}\"><td>{E(g.UserName)}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><form method=\"post\" action=\"{action}\">{Antiforgery(http)}")
                    .Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"user\" value=\"{E(g.UserName)}\">")
                    .Append(CultureInfo.InvariantCulture, $"<label for=\"{id}\">Permission for {E(g.UserName)}</label>{LevelSelect(id, g.Level)} ")
                    .Append(CultureInfo.InvariantCulture, $"<button type=\"submit\">Change {E(g.UserName)}</button></form></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{SshKeyPages.When(g.CreatedAt, "")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><form method=\"post\" action=\"{action}/remove\">{Antiforgery(http)}")
                    .Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"user\" value=\"{E(g.UserName)}\">")
                    .Append(CultureInfo.InvariantCulture, $"<button type=\"submit\">Remove {E(g.UserName)}</button></form></td></tr>");
            }
            body.Append("</tbody></table>");
        }
        body.Append("<h2>Give access</h2>")
            .Append(CultureInfo.InvariantCulture, $"<form id=\"grant\" method=\"post\" action=\"{action}\">{Antiforgery(http)}")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"grant-user\">User</label><input id=\"grant-user\" name=\"user\" value=\"{E(user)}\" required autocomplete=\"off\">")
            .Append("<label for=\"grant-permission\">Permission</label>").Append(LevelSelect("grant-permission", AccessLevel.Read))
            .Append("<br><button type=\"submit\">Give access</button></form>");
        return Html.Page(http, $"Permissions · {view.Repository.FullName}", body.ToString(), view.User.Name, status: status);
    }
}
